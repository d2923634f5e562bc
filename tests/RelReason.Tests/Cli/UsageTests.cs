namespace RelReason.Tests.Cli;

/// <summary>
/// Command-line mistakes: every command's --help lists its options; unknown options, stray words and bad values
/// exit with code 2 and a message that names what was wrong, before any work is done.
/// </summary>
[NonParallelizable]
public class UsageTests
{
    private static readonly string[] Evaluation =
    [
        "checkpoint", "random-init", "backbone", "data", "data-path", "train-split", "test-split", "device",
        "threads", "seed", "plots", "image-size",
    ];

    private static IEnumerable<TestCaseData> Commands()
    {
        yield return new TestCaseData(new[] { "pretrain" }, new[]
        {
            "data", "resume", "k", "m", "epochs", "data-path", "split", "backbone", "lr", "loss", "aggregation",
            "seed", "size", "drop-last", "log-every", "checkpoint-every", "device", "threads", "max-steps", "out",
            "run", "linear-eval", "eval-epochs", "json", "crop-min", "color-strength", "knn-every", "image-size",
        }).SetName("pretrain");
        yield return new TestCaseData(new[] { "linear-eval" },
            Evaluation.Concat(["epochs", "batch", "lr", "json"]).ToArray()).SetName("linear-eval");
        yield return new TestCaseData(new[] { "knn" }, Evaluation.Concat(["k", "show", "json"]).ToArray())
            .SetName("knn");
        yield return new TestCaseData(new[] { "finetune" }, Evaluation.Concat(["label-fraction", "epochs", "batch",
            "lr-backbone", "lr-classifier", "weight-decay", "no-decay", "save", "json"]).ToArray()).SetName("finetune");
        yield return new TestCaseData(new[] { "embed" }, Evaluation.Concat(["split", "out", "json"]).ToArray())
            .SetName("embed");
        yield return new TestCaseData(new[] { "bench" }, new[]
        {
            "backbone", "stem", "k", "m", "size", "channels", "device", "threads", "warmup", "steps", "loss", "json",
            "profile",
        }).SetName("bench");
        yield return new TestCaseData(new[] { "info" }, new[] { "json" }).SetName("info");
        yield return new TestCaseData(new[] { "runs" }, new[] { "json" }).SetName("runs");
        yield return new TestCaseData(new[] { "selftest" }, new[] { "threads", "only", "list", "json" })
            .SetName("selftest");
        yield return new TestCaseData(new[] { "data", "fetch" }, new[] { "root", "url", "force" })
            .SetName("data fetch");
        yield return new TestCaseData(new[] { "data", "info" }, new[] { "root", "path", "image-size" })
            .SetName("data info");
        yield return new TestCaseData(new[] { "data", "preview" }, new[]
        {
            "root", "path", "image-size", "split", "index", "views", "seed", "scale", "out", "crop-min",
            "color-strength",
        }).SetName("data preview");
    }

    [TestCaseSource(nameof(Commands))]
    public void HelpListsEveryOption(string[] command, string[] options)
    {
        var run = CliRunner.Expect(0, [.. command, "--help"]);
        var listed = run.OutLines.Where(l => l.StartsWith("  --", StringComparison.Ordinal))
            .Select(l => l[4..].Split(' ')[0]).ToList();
        Assert.That(listed, Is.EquivalentTo(options), run.Out);
        Assert.That(run.Error, Is.Empty);
    }

    [TestCaseSource(nameof(Commands))]
    public void AnUnknownOptionIsNamed(string[] command, string[] options)
    {
        var run = CliRunner.Expect(2, [.. command, "--epochz", "3", "--frobnicate"]);
        Assert.That(run.Error, Does.Contain("unknown options --epochz, --frobnicate"));
        Assert.That(run.Out, Is.Empty);
    }

    [TestCaseSource(nameof(Commands))]
    public void AStrayArgumentIsNamed(string[] command, string[] options)
    {
        string[] args = command[0] switch
        {
            "data" => [.. command, "default", "extra"],
            "runs" => [.. command, "folder", "extra"],
            _ => [.. command, "extra"],
        };
        var run = CliRunner.Expect(2, args);
        Assert.That(run.Error, Does.Contain("unexpected argument 'extra'"));
    }

    [TestCase("--k", "1", "--k needs an integer >= 2, got '1'")]
    [TestCase("--m", "1", "--m needs an integer >= 2")]
    [TestCase("--epochs", "0", "--epochs needs an integer >= 1")]
    [TestCase("--threads", "0", "--threads needs an integer >= 1")]
    [TestCase("--log-every", "0", "--log-every needs an integer >= 1")]
    [TestCase("--max-steps", "-1", "--max-steps needs an integer >= 0")]
    [TestCase("--checkpoint-every", "x", "--checkpoint-every needs an integer >= 0, got 'x'")]
    [TestCase("--size", "-2", "--size needs an integer >= 0")]
    [TestCase("--eval-epochs", "0", "--eval-epochs needs an integer >= 1")]
    [TestCase("--seed", "1.5", "--seed needs an integer")]
    [TestCase("--loss", "xyz", "--loss must be bce or focal, got 'xyz'")]
    [TestCase("--aggregation", "bad", "--aggregation must be cat, sum, mean or max, got 'bad'")]
    [TestCase("--lr", "fast", "--lr needs a finite number, got 'fast'")]
    [TestCase("--lr", "0", "--lr must be positive")]
    [TestCase("--lr", "-1e-3", "--lr must be positive")]
    [TestCase("--image-size", "-1", "--image-size needs an integer >= 0, got '-1'")]
    [TestCase("--knn-every", "-1", "--knn-every needs an integer >= 0, got '-1'")]
    [TestCase("--crop-min", "0", "--crop-min must be in (0, 1], got 0")]
    [TestCase("--crop-min", "1.5", "--crop-min must be in (0, 1], got 1.5")]
    [TestCase("--color-strength", "-1", "--color-strength needs a finite number >= 0, got '-1'")]
    [TestCase("--color-strength", "3", "--color-strength must be in [0, 2.5]")]
    [TestCase("--drop-last", "maybe", "--drop-last is a flag, got 'maybe'")]
    [TestCase("--backbone", "vgg", "--backbone must be one of conv4, resnet8,")]
    [TestCase("--backbone", "resnet20-small", "--backbone must be one of conv4, resnet8,")]
    [TestCase("--data", "imagenet", "--data must be one of default,")]
    [TestCase("--split", "validation", "--split must be one of train, test; got 'validation'")]
    [TestCase("--device", "tpu", "--device must be one of auto, cpu, cuda; got 'tpu'")]
    [TestCase("--out", null, "--out needs a value")]
    public void PretrainRefusesABadValue(string option, string? value, string message)
    {
        string[] given = value == null ? [option] : [option, value];
        var run = CliRunner.Expect(2, ["pretrain", "--max-steps", "1", .. given]);
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(run.Out, Is.Empty, "nothing started");
    }

    [TestCase("linear-eval", "--epochs", "0", "--epochs needs an integer >= 1")]
    [TestCase("linear-eval", "--lr", "x", "--lr needs a finite number >= 0")]
    [TestCase("knn", "--k", "0", "--k needs an integer >= 1")]
    [TestCase("knn", "--show", "-1", "--show needs an integer >= 0")]
    [TestCase("finetune", "--batch", "1", "--batch needs an integer >= 2")]
    [TestCase("embed", "--threads", "0", "--threads needs an integer >= 1")]
    [TestCase("linear-eval", "--device", "tpu", "--device must be one of auto, cpu, cuda")]
    [TestCase("knn", "--backbone", "vgg", "--backbone must be one of conv4")]
    [TestCase("embed", "--data", "imagenet", "--data must be one of")]
    [TestCase("bench", "--loss", "hinge", "--loss must be bce or focal, got 'hinge'")]
    [TestCase("bench", "--device", "tpu", "--device must be one of auto, cpu, cuda")]
    [TestCase("bench", "--backbone", "vgg", "--backbone must be one of conv4")]
    [TestCase("bench", "--steps", "0", "--steps needs an integer >= 1")]
    public void EvaluationCommandsRefuseABadValue(string command, string option, string value, string message)
    {
        string[] source = command switch
        {
            "bench" => [],
            "embed" => ["--random-init", "--out", "x.npy"],
            _ => ["--random-init"],
        };
        var run = CliRunner.Expect(2, [command, .. source, option, value]);
        Assert.That(run.Error, Does.Contain(message));
    }

    [Test]
    public void TheProgramItselfExplainsItsCommands()
    {
        var none = CliRunner.Expect(2);
        Assert.That(none.Out, Does.Contain("usage: relreason <command>"));
        var help = CliRunner.Expect(0, "--help");
        foreach (string command in new[]
            { "pretrain", "linear-eval", "knn", "finetune", "embed", "data", "bench", "info", "selftest" })
        {
            Assert.That(help.Out, Does.Contain($"  {command} "), command);
        }
        var unknown = CliRunner.Expect(2, "pretrian");
        Assert.That(unknown.Error, Does.Contain("unknown command 'pretrian'"));
    }
}
