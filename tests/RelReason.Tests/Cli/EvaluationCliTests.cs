using System.Text.Json;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Training;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Cli;

/// <summary>
/// linear-eval, knn and finetune through Program.Main, on the backbone of a short pretraining run: where the
/// backbone comes from (run folder, checkpoint file, random init), what --json holds, the plots, and checkpoints
/// that are missing or damaged.
/// </summary>
public class EvaluationCliTests : CliTestBase
{
    private string _tinyRun = null!;
    private string _defaultRun = null!;

    private string TinyCheckpoint => Path.Combine(_tinyRun, "last.safetensors");

    [OneTimeSetUp]
    public void Pretrain()
    {
        CliRunner.Expect(0, Pretrain(FixtureDir, "tiny", [.. Tiny.Options, "--epochs", "1"]));
        CliRunner.Expect(0, Pretrain(FixtureDir, "default", "--max-steps", "2"));
        _tinyRun = Path.Combine(FixtureDir, "tiny");
        _defaultRun = Path.Combine(FixtureDir, "default");
    }

    /// <summary>The confusion matrix of --json, rows summing to the test images of each class.</summary>
    private static int[][] Confusion(JsonElement json) => json.GetProperty("confusion").EnumerateArray()
        .Select(row => row.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();

    private static void AssertConsistent(JsonElement json, int testImages)
    {
        var confusion = Confusion(json);
        Assert.That(confusion.Sum(r => r.Sum()), Is.EqualTo(testImages), "every test image counted once");
        double accuracy = json.GetProperty("accuracy").GetDouble();
        Assert.That(accuracy, Is.EqualTo((double)Enumerable.Range(0, confusion.Length).Sum(i => confusion[i][i]) /
            testImages).Within(1e-12));
        var perClass = json.GetProperty("per_class_accuracy").EnumerateObject().ToList();
        Assert.That(perClass, Has.Count.EqualTo(confusion.Length));
        for (int i = 0; i < confusion.Length; i++)
        {
            int row = confusion[i].Sum();
            if (row == 0)
            {
                Assert.That(perClass[i].Value.ValueKind, Is.EqualTo(JsonValueKind.Null), perClass[i].Name);
            }
            else
            {
                Assert.That(perClass[i].Value.GetDouble(), Is.EqualTo((double)confusion[i][i] / row).Within(1e-12));
            }
        }
    }

    [Test]
    public void LinearEvalOfARunFolderOnTheDefaultDataset()
    {
        var run = CliRunner.Expect(0, ["linear-eval", "--checkpoint", _defaultRun, "--epochs", "2", .. Cpu, "--json"]);
        var json = run.LastJson();
        Assert.That(json.GetProperty("backbone").GetString(),
            Is.EqualTo($"conv4 from {Path.Combine(_defaultRun, "last.safetensors")} (epoch 0, step 2)"));
        AssertConsistent(json, 1000);
        var names = json.GetProperty("per_class_accuracy").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(names, Is.EqualTo(RelReason.Data.Readers.KnownClasses.FashionMnist));
        Assert.That(Confusion(json).Select(r => r.Sum()), Has.All.EqualTo(100), "100 test images per class");
        Assert.That(run.Out, Does.Contain("epoch    2/2 | train loss"));
        // With no --plots, the figures go into the run folder; two epochs make an accuracy curve.
        Assert.That(PngSize(Path.Combine(_defaultRun, "linear-eval-confusion.png")).Width, Is.GreaterThan(100));
        Assert.That(PngSize(Path.Combine(_defaultRun, "linear-eval-accuracy.png")).Width, Is.GreaterThan(100));
    }

    [Test]
    public void LinearEvalOfACheckpointFileUsesTheDataItWasPretrainedOn()
    {
        string plots = File("plots");
        var run = CliRunner.Expect(0, ["linear-eval", "--checkpoint", TinyCheckpoint, "--epochs", "1", "--batch",
            "16", "--lr", "0.01", "--seed", "3", "--plots", plots, .. Cpu, "--json"]);
        var json = run.LastJson();
        Assert.That(json.GetProperty("backbone").GetString(), Does.StartWith($"conv4 from {TinyCheckpoint}"));
        // 18 test images: the data path stored in the checkpoint's configuration was followed.
        AssertConsistent(json, TinyDataset.TestCount);
        string absent = RelReason.Data.Readers.KnownClasses.FashionMnist[TinyDataset.AbsentTestClass];
        Assert.That(json.GetProperty("per_class_accuracy").GetProperty(absent).ValueKind,
            Is.EqualTo(JsonValueKind.Null), "no test image of the class: null, not NaN");
        Assert.That(PngSize(Path.Combine(plots, "linear-eval-confusion.png")).Width, Is.GreaterThan(100));
        Assert.That(System.IO.File.Exists(Path.Combine(plots, "linear-eval-accuracy.png")), Is.False, "one epoch");

        // The result is recorded beside the figures, with how it was obtained.
        var record = EvaluationLog.Read(plots).Single();
        Assert.That((record.Kind, record.Checkpoint, record.RandomInit, record.Dataset, record.TestSplit),
            Is.EqualTo(("linear-eval", TinyCheckpoint, false, "default", "default/test")));
        Assert.That(record.Step, Is.EqualTo(Checkpoint.ReadInfo(TinyCheckpoint).Step));
        Assert.That(record.Accuracy, Is.EqualTo(json.GetProperty("accuracy").GetDouble()));
        Assert.That(record.Settings, Is.EquivalentTo(new Dictionary<string, double>
        {
            ["epochs"] = 1, ["batch"] = 16, ["lr"] = 0.01, ["seed"] = 3,
        }));
        Assert.That(run.Out, Does.Contain($"recorded in {Path.Combine(plots, EvaluationLog.FileName)}"));
    }

    [Test]
    public void LinearEvalOfARandomInitBackboneWithSwappedSplits()
    {
        var run = CliRunner.Expect(0, ["linear-eval", "--random-init", "--backbone", "conv4", .. Tiny.Options,
            "--train-split", "test", "--test-split", "train", "--epochs", "1", .. Cpu, "--json"]);
        var json = run.LastJson();
        Assert.That(json.GetProperty("backbone").GetString(), Is.EqualTo("conv4, random init (seed 1)"));
        AssertConsistent(json, TinyDataset.TrainCount);
        Assert.That(Confusion(json).Select(r => r.Sum()),
            Is.EqualTo(Enumerable.Range(0, 10).Select(c => Tiny.TrainLabels.Count(l => l == c))));
        Assert.That(run.Out, Does.Not.Contain("wrote"), "no run folder and no --plots: no figures");
        Assert.That(run.Out, Does.Not.Contain("recorded in"), "and no record");
    }

    [TestCase("linear-eval")]
    [TestCase("knn")]
    [TestCase("finetune")]
    [TestCase("embed")]
    public void EitherACheckpointOrRandomInitIsRequired(string command)
    {
        string[] output = command == "embed" ? ["--out", File("f.npy")] : [];
        var neither = CliRunner.Expect(2, [command, .. output, .. Cpu]);
        Assert.That(neither.Error, Does.Contain("give either --checkpoint PATH or --random-init"));
        var both = CliRunner.Expect(2, [command, "--checkpoint", TinyCheckpoint, "--random-init", .. output, .. Cpu]);
        Assert.That(both.Error, Does.Contain("give either --checkpoint PATH or --random-init"));
    }

    [Test]
    public void AMissingCheckpointIsNamed()
    {
        string file = File("nowhere.safetensors");
        var run = CliRunner.Expect(1, ["linear-eval", "--checkpoint", file, .. Cpu]);
        Assert.That(run.Error, Does.Contain($"{file}: no such checkpoint file or run folder"));

        // A folder is a run folder: its last.safetensors is what is missing.
        var folder = CliRunner.Expect(1, ["linear-eval", "--checkpoint", Dir, .. Cpu]);
        Assert.That(folder.Error, Does.Contain($"{Path.Combine(Dir, "last.safetensors")}: no checkpoint in this run " +
            "folder"));
    }

    private static IEnumerable<TestCaseData> Damage()
    {
        yield return new TestCaseData("empty", (Func<byte[], byte[]>)(_ => [])).SetName("{m}(empty)");
        yield return new TestCaseData("header cut", (Func<byte[], byte[]>)(b => b[..20])).SetName("{m}(header cut)");
        yield return new TestCaseData("data cut", (Func<byte[], byte[]>)(b => b[..^100])).SetName("{m}(data cut)");
        yield return new TestCaseData("garbage", (Func<byte[], byte[]>)(b =>
        {
            var junk = new byte[b.Length];
            new Random(7).NextBytes(junk);
            return junk;
        })).SetName("{m}(garbage)");
        yield return new TestCaseData("json broken", (Func<byte[], byte[]>)(b =>
        {
            var copy = b.ToArray();
            copy[8] = (byte)'#';
            return copy;
        })).SetName("{m}(json broken)");
    }

    [TestCaseSource(nameof(Damage))]
    public void ADamagedCheckpointIsNamed(string what, Func<byte[], byte[]> damage)
    {
        string file = File("damaged.safetensors");
        System.IO.File.WriteAllBytes(file, damage(System.IO.File.ReadAllBytes(TinyCheckpoint)));
        foreach (string command in new[] { "linear-eval", "knn", "finetune" })
        {
            var run = CliRunner.Expect(1, [command, "--checkpoint", file, .. Cpu]);
            Assert.That(run.Error, Does.StartWith("relreason: ").And.Contain(file), $"{command}, {what}");
            Assert.That(run.Error.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
        }
        var embed = CliRunner.Expect(1, ["embed", "--checkpoint", file, "--out", File("f.npy"), .. Cpu]);
        Assert.That(embed.Error, Does.Contain(file));
        Assert.That(System.IO.File.Exists(File("f.npy")), Is.False);
    }

    [Test]
    public void ASafetensorsFileThatIsNotACheckpointIsNamed()
    {
        string features = File("features.safetensors");
        CliRunner.Expect(0, ["embed", "--checkpoint", TinyCheckpoint, "--out", features, .. Cpu]);
        var run = CliRunner.Expect(1, ["linear-eval", "--checkpoint", features, .. Cpu]);
        Assert.That(run.Error, Does.Contain(features));
    }

    [Test]
    public void KnnReportsItsNumbersAndDrawsTheNeighbours()
    {
        string plots = File("plots");
        var run = CliRunner.Expect(0, ["knn", "--checkpoint", _tinyRun, "--k", "3", "--show", "2", "--plots", plots,
            .. Cpu, "--json"]);
        Assert.That(run.Out, Does.Contain("k-NN (k=3, cosine, 18 queries, 40 gallery)"));
        var json = run.LastJson();
        Assert.That(json.GetProperty("k").GetInt32(), Is.EqualTo(3));
        Assert.That(json.GetProperty("backbone").GetString(), Does.StartWith("conv4 from"));
        double accuracy = json.GetProperty("accuracy").GetDouble();
        double precision = json.GetProperty("precision_at_k").GetDouble();
        double map = json.GetProperty("mean_average_precision_at_k").GetDouble();
        Assert.That(accuracy * 18, Is.EqualTo(Math.Round(accuracy * 18)).Within(1e-9), "a count of 18 queries");
        Assert.That(precision * 18 * 3, Is.EqualTo(Math.Round(precision * 18 * 3)).Within(1e-6), "of 54 neighbours");
        Assert.That(map, Is.InRange(0.0, 1.0));
        var record = EvaluationLog.Read(plots).Single();
        Assert.That((record.Kind, record.Accuracy, record.Settings["k"]), Is.EqualTo(("knn", accuracy, 3.0)));
        Assert.That(record.Scores["precision_at_k"], Is.EqualTo(precision));
        Assert.That(record.Scores["map_at_k"], Is.EqualTo(map));
        var two = PngSize(Path.Combine(plots, "knn-neighbours.png"));

        CliRunner.Expect(0, ["knn", "--checkpoint", _tinyRun, "--k", "3", "--show", "4", "--plots", plots, .. Cpu]);
        var four = PngSize(Path.Combine(plots, "knn-neighbours.png"));
        Assert.That(four.Width, Is.EqualTo(two.Width), "three neighbours per row either way");
        Assert.That(four.Height, Is.GreaterThan(two.Height), "four query rows instead of two");

        System.IO.File.Delete(Path.Combine(plots, "knn-neighbours.png"));
        var none = CliRunner.Expect(0, ["knn", "--checkpoint", _tinyRun, "--k", "3", "--show", "0", "--plots", plots,
            .. Cpu]);
        Assert.That(none.Out, Does.Not.Contain("wrote"));
        Assert.That(System.IO.File.Exists(Path.Combine(plots, "knn-neighbours.png")), Is.False);
    }

    [Test]
    public void KnnWithMoreNeighboursThanTheGalleryIsAnError()
    {
        var run = CliRunner.Expect(1, ["knn", "--checkpoint", _tinyRun, "--k", "41", .. Cpu]);
        Assert.That(run.Error, Does.Contain("k must be in 1..40 (the gallery size), got 41"));
    }

    [Test]
    public void FineTuneWithATenthOfTheLabelsSavesALoadableCheckpoint()
    {
        string saved = File("finetuned.safetensors");
        var run = CliRunner.Expect(0, ["finetune", "--checkpoint", _tinyRun, "--label-fraction", "0.1", "--epochs",
            "1", "--batch", "4", "--save", saved, "--plots", Dir, .. Cpu, "--json"]);
        // At least one image of every class, 10% of the larger ones.
        int expected = Tiny.TrainLabels.GroupBy(l => l).Sum(g => Math.Max(1, (int)Math.Round(0.1 * g.Count())));
        Assert.That(run.Out, Does.Contain($"labels: default/train (10% of labels), {expected} images"));
        AssertConsistent(run.LastJson(), TinyDataset.TestCount);
        Assert.That(PngSize(File("finetune-0.1-confusion.png")).Width, Is.GreaterThan(100));
        var record = EvaluationLog.Read(Dir).Single();
        Assert.That((record.Kind, record.Accuracy), Is.EqualTo(("finetune", run.LastJson().GetProperty("accuracy")
            .GetDouble())));
        Assert.That((record.Settings["label_fraction"], record.Settings["labelled_images"], record.Settings["batch"]),
            Is.EqualTo((0.1, (double)expected, 4.0)));

        var info = Checkpoint.ReadInfo(saved);
        Assert.That((info.Backbone, info.Method, info.Head, info.Dataset),
            Is.EqualTo(("conv4", "fine-tuning", Checkpoint.Classifier, "default")));
        using var cpu = new CpuBackend(2);
        var backbone = BackboneFactory.Create("conv4", cpu, 1, seed: 5);
        Checkpoint.LoadBackbone(saved, backbone);
        using var file = SafetensorsFile.Open(saved);
        Assert.That(file["classifier.weight"].Shape, Is.EqualTo(new[] { 10, backbone.FeatureSize }));
        Assert.That(ChangedWeights(TinyCheckpoint, saved), Is.Not.Empty, "fine-tuning trains the backbone");

        var resume = CliRunner.Expect(1, "pretrain", "--resume", saved);
        Assert.That(resume.Error, Does.Contain($"{saved}: a fine-tuning checkpoint, not a pretraining one"));
    }

    [Test]
    public void FineTuneOptionsReachTheOptimiser()
    {
        // A zero backbone learning rate and no weight decay leave every backbone weight as it was (batch norm's
        // running statistics still move: they are not learned).
        string saved = File("frozen.safetensors");
        CliRunner.Expect(0, ["finetune", "--checkpoint", TinyCheckpoint, "--epochs", "2", "--batch", "8",
            "--lr-backbone", "0", "--lr-classifier", "0.01", "--weight-decay", "0", "--no-decay", "--save", saved,
            "--plots", Dir, .. Cpu]);
        Assert.That(ChangedWeights(TinyCheckpoint, saved), Is.Empty);
    }

    /// <summary>Learned backbone tensors (not batch-norm statistics) whose bits differ between checkpoints.</summary>
    private static List<string> ChangedWeights(string a, string b)
    {
        using var first = SafetensorsFile.Open(a);
        using var second = SafetensorsFile.Open(b);
        return first.Names.Where(n => n.StartsWith("backbone.", StringComparison.Ordinal) &&
                !n.Contains("running_") && first[n].DType == SafetensorsDType.F32)
            .Where(n => !first.ReadF32(n).AsSpan().SequenceEqual(second.ReadF32(n)))
            .ToList();
    }

    [TestCase("0")]
    [TestCase("1.5")]
    [TestCase("-0.1")]
    [TestCase("NaN")]
    [TestCase("tenth")]
    public void ALabelFractionOutsideZeroToOneIsRefused(string fraction)
    {
        var run = CliRunner.Expect(2,
            ["finetune", "--checkpoint", TinyCheckpoint, "--label-fraction", fraction, .. Cpu]);
        Assert.That(run.Error, Does.Contain("--label-fraction").And.Contain(fraction));
    }

    [TestCase("--lr-backbone", "-1")]
    [TestCase("--lr-classifier", "inf")]
    [TestCase("--weight-decay", "-0.5")]
    public void FineTuneRefusesANegativeRate(string option, string value)
    {
        var run = CliRunner.Expect(2, ["finetune", "--checkpoint", TinyCheckpoint, option, value, .. Cpu]);
        Assert.That(run.Error, Does.Contain($"{option} needs a finite number >= 0, got '{value}'"));
    }
}
