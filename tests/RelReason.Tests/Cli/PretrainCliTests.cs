using System.Text.Json;
using RelReason.Training;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Cli;

/// <summary>
/// `relreason pretrain` through Program.Main: what a run leaves in its folder, what --json prints, its options,
/// and its failures (usage errors exit 2; NaN, unwritable folders and unusable checkpoints exit 1 with a message).
/// </summary>
public class PretrainCliTests : CliTestBase
{
    private static IReadOnlyList<MetricsRecord> Metrics(string folder) =>
        MetricsLog.Read(Path.Combine(folder, MetricsLog.FileName));

    [Test]
    public void SmallRunWritesTheRunFolderAndPrintsJson()
    {
        var run = CliRunner.Expect(0, Pretrain(Dir, "small", "--max-steps", "7", "--log-every", "3", "--json"));
        string folder = File("small");

        var config = JsonSerializer.Deserialize(System.IO.File.ReadAllBytes(Path.Combine(folder, "config.json")),
            TrainingJson.Default.PretrainOptions)!;
        Assert.That((config.Dataset, config.K, config.M, config.MaxSteps, config.LogEvery, config.Threads),
            Is.EqualTo(("default", 2, 8, 7, 3, 2)));

        // One line per logging interval, and one for the last step.
        var metrics = Metrics(folder);
        Assert.That(metrics.Select(m => m.Step), Is.EqualTo(new long[] { 3, 6, 7 }));
        Assert.That(metrics.Select(m => m["loss"]), Has.All.GreaterThan(0).And.All.LessThan(1));

        string log = System.IO.File.ReadAllText(Path.Combine(folder, "log.txt"));
        Assert.That(log, Does.Contain("| K x M").And.Contain("step      7/7").And.Contain("done: 7 steps"));

        string last = Path.Combine(folder, RunFolder.LastCheckpointName);
        var info = Checkpoint.ReadInfo(last);
        Assert.That((info.Step, info.K, info.M, info.Method), Is.EqualTo((7L, 2, 8, Checkpoint.RelationalReasoning)));

        Assert.That(PngSize(Path.Combine(folder, "training.png")).Width, Is.GreaterThan(100));

        var json = run.LastJson();
        Assert.That(json.GetProperty("run_folder").GetString(), Is.EqualTo(folder));
        Assert.That(json.GetProperty("steps").GetInt64(), Is.EqualTo(7));
        Assert.That(json.GetProperty("checkpoint").GetString(), Is.EqualTo(last));
        // The JSON repeats the last logged interval: the mean over steps 7..7.
        Assert.That(json.GetProperty("final_loss").GetDouble(), Is.EqualTo(metrics[^1]["loss"]));
        Assert.That(json.GetProperty("pair_accuracy").GetDouble(), Is.EqualTo(metrics[^1]["pair_accuracy"]));
        Assert.That(json.GetProperty("linear_eval_accuracy").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase(new string[0], "| steps      | 1 (5 per epoch, 1 epochs)")]
    [TestCase(new[] { "--m", "16" }, "| steps      | 1 (3 per epoch, 1 epochs)")]
    [TestCase(new[] { "--m", "16", "--drop-last" }, "| steps      | 1 (2 per epoch, 1 epochs)")]
    [TestCase(new[] { "--size", "32" }, "28x28x1, views 32x32")]
    [TestCase(new[] { "--split", "test" }, "| dataset    | default/test: 18 images")]
    [TestCase(new[] { "--aggregation", "max" }, "| head       | max -> 256 -> 1")]
    [TestCase(new[] { "--loss", "bce" }, "| loss       | binary cross-entropy")]
    [TestCase(new[] { "--lr", "0.02" }, "| optimiser  | Adam, lr 0.02, constant")]
    [TestCase(new[] { "--seed", "17" }, "| seed       | 17")]
    [TestCase(new[] { "--k", "3", "--m", "4" }, "| K x M      | 3 x 4 = 12 views, 24 pairs per step")]
    [TestCase(new[] { "--crop-min", "0.5", "--color-strength", "0.5" },
        "| augment    | crop 50-100% of the area, flip p 0.5, jitter p 0.8 (brightness 0.4, contrast 0.4)")]
    [TestCase(new string[0], "| k-NN       | off")]
    [TestCase(new[] { "--knn-every", "2" },
        "| k-NN       | every 2 epoch(s) and at the end: default/test queries against default/train (k=20, cosine)")]
    public void OptionsReachTheRun(string[] options, string configLine)
    {
        var run = CliRunner.Expect(0, Pretrain(Dir, "options", [.. Tiny.Options, "--epochs", "1", "--max-steps", "1",
            .. options]));
        Assert.That(run.Out, Does.Contain(configLine));
        // The checkpoint carries the same configuration (what --resume and the evaluations read back).
        var (stored, _, _) = PretrainRun.ReadResumePoint(File("options"));
        var config = JsonSerializer.Deserialize(System.IO.File.ReadAllBytes(Path.Combine(File("options"),
            "config.json")), TrainingJson.Default.PretrainOptions);
        Assert.That(stored, Is.EqualTo(config));
        Assert.That(stored.DataPath, Is.EqualTo(Tiny.Path));
    }

    [Test]
    public void KnnMonitorLogsEachReadingAndPrintsTheLastInJson()
    {
        // 5 steps per epoch: readings after epochs 2 and 4 and at the end of epoch 5.
        var run = CliRunner.Expect(0, Pretrain(Dir, "knn", [.. Tiny.Options, "--epochs", "5", "--knn-every", "2",
            "--log-every", "5", "--json"]));
        var readings = Metrics(File("knn")).Where(m => m.Values.ContainsKey("knn_top1")).ToList();

        Assert.That(readings.Select(m => m.Step), Is.EqualTo(new long[] { 10, 20, 25 }));
        Assert.That(readings.Select(m => m["epoch"]), Is.EqualTo(new double[] { 2, 4, 5 }));
        Assert.That(readings.Select(m => m["knn_top1"]), Has.All.InRange(0.0, 1.0));
        Assert.That(run.Out, Does.Contain("k-NN after epoch 4, step 20: top-1 ").And
            .Contain($"(k=20, cosine, {TinyDataset.TestCount} queries, {TinyDataset.TrainCount} gallery"));
        var json = run.LastJson();
        Assert.That(json.GetProperty("knn_accuracy").GetDouble(), Is.EqualTo(readings[^1]["knn_top1"]));
        // The last loss line, not the k-NN line after it, is what the JSON reports as the final loss.
        Assert.That(json.GetProperty("final_loss").GetDouble(), Is.EqualTo(Metrics(File("knn"))
            .Last(m => m.Values.ContainsKey("loss"))["loss"]));
    }

    [TestCase("--knn-every", "1")]
    [TestCase("--linear-eval", "true")]
    public void EvaluationWithoutATestSplitIsRefusedBeforeTraining(string option, string value)
    {
        string data = File("train-only");
        Directory.CreateDirectory(data);
        foreach (string f in Directory.GetFiles(Tiny.Path, "train-*"))
        {
            System.IO.File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        }
        var run = CliRunner.Expect(1, Pretrain(Dir, "refused", "--data", "default", "--data-path", data,
            option, value));

        Assert.That(run.Error, Does.Contain($"{option} needs the labelled train and test splits of default"));
        Assert.That(run.Out, Does.Not.Contain("step "), "not one step was trained");
        Assert.That(Directory.Exists(File("refused")), Is.False, "no run folder is left behind");
    }

    [TestCase(0)]
    [TestCase(3)]
    public void EpochCheckpointsAreKeptAtEachQuarterOfTheEpochs(int checkpointEvery)
    {
        // 40 images at M=8: 5 steps per epoch. With --checkpoint-every 3 no step interval meets an epoch end
        // before step 15, and the quarter-epoch checkpoints must still be there.
        CliRunner.Expect(0, Pretrain(Dir, "epochs", [.. Tiny.Options, "--epochs", "4",
            "--checkpoint-every", checkpointEvery.ToString()]));
        string folder = File("epochs");
        var epochFiles = Directory.GetFiles(folder, "epoch-*.safetensors").Select(Path.GetFileName).Order();
        Assert.That(epochFiles, Is.EqualTo(new[]
        {
            "epoch-0001.safetensors", "epoch-0002.safetensors", "epoch-0003.safetensors", "epoch-0004.safetensors",
        }));
        for (int epoch = 1; epoch <= 4; epoch++)
        {
            var info = Checkpoint.ReadInfo(Path.Combine(folder, $"epoch-{epoch:D4}.safetensors"));
            Assert.That((info.Epoch, info.Step), Is.EqualTo((epoch, 5L * epoch)));
        }
        Assert.That(Metrics(folder).Select(m => m.Step), Is.EqualTo(new long[] { 10, 20 }), "default --log-every 10");
    }

    [Test]
    public void ResumingAFinishedRunWithMoreEpochsContinues()
    {
        string folder = TinyRun("more");
        var run = CliRunner.Expect(0, "pretrain", "--resume", folder, "--epochs", "2", "--json");
        Assert.That(run.Out, Does.Contain("resuming after step 5"));
        Assert.That(Checkpoint.ReadInfo(Path.Combine(folder, RunFolder.LastCheckpointName)).Step, Is.EqualTo(10));
        Assert.That(Metrics(folder).Select(m => m.Step), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        var json = run.LastJson();
        Assert.That(json.GetProperty("steps").GetInt64(), Is.EqualTo(10));
        Assert.That(json.GetProperty("final_loss").GetDouble(), Is.EqualTo(Metrics(folder)[^1]["loss"]));
    }

    [Test]
    public void ResumingAFinishedRunWithNothingLeftStillPrintsItsNumbers()
    {
        // No step is trained, so no interval is logged: the JSON takes the last metrics line (it used to be NaN,
        // which JSON cannot hold, and the finished command failed).
        string folder = TinyRun("finished");
        var json = CliRunner.Expect(0, "pretrain", "--resume", folder, "--json").LastJson();
        Assert.That(json.GetProperty("steps").GetInt64(), Is.EqualTo(5));
        Assert.That(json.GetProperty("final_loss").GetDouble(), Is.EqualTo(Metrics(folder)[^1]["loss"]));
        Assert.That(json.GetProperty("pair_accuracy").GetDouble(), Is.EqualTo(Metrics(folder)[^1]["pair_accuracy"]));
    }

    [TestCase(new[] { "--k", "3" }, new[] { "K 2 -> 3" })]
    [TestCase(new[] { "--backbone", "resnet8" }, new[] { "backbone conv4 -> resnet8" })]
    [TestCase(new[] { "--k", "4", "--m", "16", "--backbone", "resnet8" },
        new[] { "K 2 -> 4", "M 8 -> 16", "backbone conv4 -> resnet8" })]
    [TestCase(new[] { "--loss", "bce" }, new[] { "loss Focal -> Bce" })]
    [TestCase(new[] { "--aggregation", "sum" }, new[] { "aggregation Cat -> Sum" })]
    [TestCase(new[] { "--seed", "9" }, new[] { "seed 1 -> 9" })]
    [TestCase(new[] { "--lr", "0.01" }, new[] { "lr 0.001 -> 0.01" })]
    [TestCase(new[] { "--size", "32" }, new[] { "size 0 -> 32" })]
    [TestCase(new[] { "--drop-last" }, new[] { "drop-last False -> True" })]
    [TestCase(new[] { "--split", "test" }, new[] { "split train -> test" })]
    public void ResumeRefusesOptionsThatChangeTheRun(string[] changed, string[] named)
    {
        string folder = TinyRun("shape", maxSteps: 2);
        byte[] before = System.IO.File.ReadAllBytes(Path.Combine(folder, RunFolder.LastCheckpointName));
        var run = CliRunner.Expect(1, ["pretrain", "--resume", folder, "--epochs", "2", .. changed]);
        foreach (string n in named)
        {
            Assert.That(run.Error, Does.Contain(n), run.ToString());
        }
        Assert.That(run.Error, Does.Contain(folder).And.Contain("Start a new run to change them"));
        Assert.That(System.IO.File.ReadAllBytes(Path.Combine(folder, RunFolder.LastCheckpointName)),
            Is.EqualTo(before), "a refused resume leaves the checkpoint alone");
    }

    [Test]
    public void ResumeTakesTheStoredOptionsWhenTheSameValuesAreGiven()
    {
        string folder = TinyRun("same", maxSteps: 2);
        var run = CliRunner.Expect(0, ["pretrain", "--resume", folder, "--k", "2", "--m", "8", "--backbone",
            "conv4", "--max-steps", "3"]);
        Assert.That(run.Out, Does.Contain("resuming after step 2"));
        Assert.That(Metrics(folder).Select(m => m.Step), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public void ResumeFindsMovedDataThroughDataPath()
    {
        string data = File("data");
        Directory.CreateDirectory(data);
        foreach (string f in Directory.GetFiles(Tiny.Path))
        {
            System.IO.File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        }
        CliRunner.Expect(0, Pretrain(Dir, "moved", "--data-path", data, "--epochs", "1", "--max-steps", "2"));
        Directory.Move(data, File("elsewhere"));

        var lost = CliRunner.Expect(1, "pretrain", "--resume", File("moved"), "--max-steps", "3");
        Assert.That(lost.Error, Does.Contain($"dataset 'default' is not in {data}"));
        var found = CliRunner.Expect(0, "pretrain", "--resume", File("moved"), "--max-steps", "3", "--data-path",
            File("elsewhere"));
        Assert.That(found.Out, Does.Contain("resuming after step 2"));
        Assert.That(Metrics(File("moved")).Select(m => m.Step), Is.EqualTo(new long[] { 2, 3 }));
    }

    [TestCase("--data-path", "missing", "dataset 'default' is not in")]
    [TestCase("--m", "64", "not one batch of M=64 with --drop-last")]
    public void AStartThatFailsLeavesNoRunFolder(string option, string value, string message)
    {
        string given = option == "--data-path" ? File(value) : value;
        var run = CliRunner.Expect(1, Pretrain(Dir, "failed", [.. Tiny.Options, "--drop-last", option, given]));
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(Directory.Exists(File("failed")), Is.False);
    }

    [Test]
    public void ResumeWithoutACheckpointSaysSo()
    {
        string empty = File("empty");
        Directory.CreateDirectory(empty);
        var run = CliRunner.Expect(1, "pretrain", "--resume", empty);
        Assert.That(run.Error, Does.Contain(empty).And.Contain("no last.safetensors to resume from"));

        string missing = File("missing");
        run = CliRunner.Expect(1, "pretrain", "--resume", missing);
        Assert.That(run.Error, Does.Contain(missing).And.Contain("no such checkpoint or run folder"));
    }

    [Test]
    public void NonFiniteLossNamesTheStepAndTheLastGoodCheckpoint()
    {
        var run = CliRunner.Expect(1, Pretrain(Dir, "nan", "--lr", "1e30", "--checkpoint-every", "1",
            "--log-every", "1", "--max-steps", "20"));
        string last = Path.Combine(File("nan"), RunFolder.LastCheckpointName);
        var match = System.Text.RegularExpressions.Regex.Match(run.Error, @"at step (\d+)");
        Assert.That(match.Success, Is.True, run.ToString());
        long nanStep = long.Parse(match.Groups[1].Value);
        Assert.That(run.Error, Does.Contain($"The last good checkpoint is {last} (step {nanStep - 1})"));

        // The checkpoint is complete, every value finite, and it loads back into a training state.
        using var file = SafetensorsFile.Open(last);
        foreach (string name in file.Names.Where(n => file[n].DType == SafetensorsDType.F32))
        {
            Assert.That(file.ReadF32(name).All(float.IsFinite), Is.True, name);
        }
        using var cpu = new RelReason.Backends.Cpu.CpuBackend(2);
        var (options, checkpoint, _) = PretrainRun.ReadResumePoint(File("nan"));
        using var trainer = new Pretrainer(options, cpu);
        var info = Checkpoint.Load(checkpoint, new CheckpointModules(trainer.Backbone, trainer.Head,
            Checkpoint.RelationHead, trainer.Optimizer));
        Assert.That(info.Step, Is.EqualTo(nanStep - 1));
    }

    [Test]
    public void NonFiniteLossBeforeAnyCheckpointSaysThereIsNone()
    {
        var run = CliRunner.Expect(1, Pretrain(Dir, "nan", "--lr", "1e30", "--max-steps", "20"));
        Assert.That(run.Error, Does.Contain("the loss became").And.Contain("No checkpoint was written before it."));
        Assert.That(System.IO.File.Exists(Path.Combine(File("nan"), RunFolder.LastCheckpointName)), Is.False);
    }

    [Test]
    public void ARunFolderBelowARegularFileIsAnError()
    {
        string blocker = File("not-a-folder");
        System.IO.File.WriteAllText(blocker, "x");
        var run = CliRunner.Expect(1, Pretrain(Path.Combine(blocker, "runs"), "r", "--max-steps", "1"));
        Assert.That(run.Error, Does.Contain("cannot create the run folder")
            .And.Contain($"{blocker} is a file, not a folder"));
    }

    [Test]
    public void ARunFolderThatIsNotEmptyIsAnError()
    {
        Directory.CreateDirectory(File("taken"));
        System.IO.File.WriteAllText(Path.Combine(File("taken"), "notes.txt"), "mine");
        var run = CliRunner.Expect(1, Pretrain(Dir, "taken", "--max-steps", "1"));
        Assert.That(run.Error, Does.Contain("run folder is not empty"));
        Assert.That(Directory.GetFiles(File("taken")), Has.Length.EqualTo(1), "nothing written into it");
    }

    [Test]
    public void AWriteFailureDuringTheRunNamesTheLastCheckpoint()
    {
        // The run stops at the end of epoch 1 of 4; epoch 2's checkpoint cannot be written (a folder is in the
        // way), after last.safetensors of step 10 was.
        CliRunner.Expect(0, Pretrain(Dir, "blocked", [.. Tiny.Options, "--epochs", "4", "--max-steps", "5"]));
        string folder = File("blocked");
        Directory.CreateDirectory(Path.Combine(folder, "epoch-0002.safetensors"));
        var run = CliRunner.Expect(1, "pretrain", "--resume", folder, "--max-steps", "10");
        Assert.That(run.Error, Does.Contain("writing the run failed").And.Contain("epoch-0002.safetensors")
            .And.Contain($"The last checkpoint that was written is {Path.Combine(folder, "last.safetensors")} " +
                "(step 10)"));
        Assert.That(Checkpoint.ReadInfo(Path.Combine(folder, RunFolder.LastCheckpointName)).Step, Is.EqualTo(10));
    }

    [Test]
    public void LinearEvalAfterPretrainingReportsBothAccuracies()
    {
        var run = CliRunner.Expect(0, Pretrain(Dir, "eval", [.. Tiny.Options, "--epochs", "1", "--linear-eval",
            "--eval-epochs", "2", "--json"]));
        var json = run.LastJson();
        double pretrained = json.GetProperty("linear_eval_accuracy").GetDouble();
        double random = json.GetProperty("random_init_accuracy").GetDouble();
        Assert.That(pretrained, Is.InRange(0.0, 1.0));
        Assert.That(random, Is.InRange(0.0, 1.0));
        // Accuracies over the 18 test images are multiples of 1/18, and the log line repeats them.
        Assert.That(pretrained * TinyDataset.TestCount, Is.EqualTo(Math.Round(pretrained * TinyDataset.TestCount))
            .Within(1e-9));
        Assert.That(run.Out, Does.Contain($"linear eval (2 epochs, default/test): pretrained {100 * pretrained:F2}% " +
            $"| random init {100 * random:F2}%"));
    }
}
