using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Training;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Training;

/// <summary>
/// A run stopped and resumed from its checkpoint ends with the same parameters (bit for bit) and the same logged
/// losses as the uninterrupted run, whether it was stopped cleanly (Ctrl-C) or died between checkpoints.
/// </summary>
public class ResumeTests
{
    private string _root = null!;

    [SetUp]
    public void Setup() => _root = Directory.CreateTempSubdirectory("relreason-resume-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private static readonly PretrainOptions Options = new()
    {
        Dataset = "default", K = 3, M = 8, Epochs = 1, MaxSteps = 7, LogEvery = 3, CheckpointEvery = 2,
        Device = "cpu", Threads = 2, Seed = 4,
    };

    private sealed class Crash : Exception;

    private (Dictionary<string, float[]> State, IReadOnlyList<MetricsRecord> Metrics) Finish(PretrainRun s)
    {
        var state = StateDict.Read(s.Trainer.Backbone, "backbone.").Concat(StateDict.Read(s.Trainer.Head, "relation."))
            .ToDictionary(e => e.Name, e => e.Values);
        return (state, s.Folder.ReadMetrics());
    }

    [Test]
    public void ResumingOnOtherArithmeticSaysSo()
    {
        var options = Options with { MaxSteps = 2 };
        string folder = Path.Combine(_root, "run");
        using (var cpu = new CpuBackend(2))
        using (var first = PretrainRun.Start(options, cpu, folder, null))
        {
            Assert.That(first.Run(CancellationToken.None), Is.EqualTo(PretrainOutcome.Completed));
        }
        var (stored, checkpoint, _) = PretrainRun.ReadResumePoint(folder);
        using (var same = new CpuBackend(2))
        using (var again = PretrainRun.Resume(stored with { MaxSteps = 3 }, checkpoint, same, null))
        {
            again.Run(CancellationToken.None);
            Assert.That(File.ReadAllText(again.Folder.LogPath), Does.Not.Contain("note: the checkpoint was written"));
        }

        (stored, checkpoint, _) = PretrainRun.ReadResumePoint(folder);
        using var one = new CpuBackend(1);
        using var other = PretrainRun.Resume(stored with { MaxSteps = 4 }, checkpoint, one, null);
        string log = File.ReadAllText(other.Folder.LogPath);
        Assert.That(log, Does.Contain("note: the checkpoint was written by cpu: 2 threads"));
        Assert.That(log, Does.Contain("this process runs cpu: 1 thread,"));
        Assert.That(log, Does.Contain("not bit for bit"));
    }

    [Test]
    public void ArithmeticNamesThreadsAndConvolutionKernels()
    {
        using var a = new CpuBackend(2);
        using var b = new CpuBackend(2) { DirectConvEnabled = false };
        Assert.That(a.Arithmetic, Does.StartWith("cpu: 2 threads, "));
        Assert.That(a.Arithmetic, Does.Contain("OpenBLAS "));
        Assert.That(b.Arithmetic, Does.Contain("im2col conv"));
        if (DirectConv3x3.HardwareSupported)
        {
            Assert.That(a.Arithmetic, Is.Not.EqualTo(b.Arithmetic));
        }
    }

    [Test]
    public void KilledRunResumesToTheSameNumbers()
    {
        using var cpu = new CpuBackend(2);
        (Dictionary<string, float[]>, IReadOnlyList<MetricsRecord>) reference;
        using (var full = PretrainRun.Start(Options, cpu, Path.Combine(_root, "full"), null))
        {
            Assert.That(full.Run(CancellationToken.None), Is.EqualTo(PretrainOutcome.Completed));
            reference = Finish(full);
        }

        string killed = Path.Combine(_root, "killed");
        using (var dying = PretrainRun.Start(Options, cpu, killed, null))
        {
            // Dies after step 5: the last checkpoint is step 4, step 5 is lost as a kill would lose it.
            dying.Trainer.StepCompleted += (step, _) =>
            {
                if (step == 5)
                {
                    throw new Crash();
                }
            };
            Assert.Throws<Crash>(() => dying.Run(CancellationToken.None));
            Assert.That(dying.LastCheckpoint!.Info.Step, Is.EqualTo(4));
        }
        var (options, checkpoint, _) = PretrainRun.ReadResumePoint(killed);
        using var resumed = PretrainRun.Resume(options, checkpoint, cpu, null);
        Assert.That(resumed.Trainer.Step, Is.EqualTo(4));
        Assert.That(resumed.Run(CancellationToken.None), Is.EqualTo(PretrainOutcome.Completed));
        var (state, metrics) = Finish(resumed);

        Assert.That(state.Keys, Is.EqualTo(reference.Item1.Keys));
        foreach (var (name, values) in reference.Item1)
        {
            Assert.That(state[name], Is.EqualTo(values), name);
        }
        Assert.That(metrics.Select(m => m.Step), Is.EqualTo(reference.Item2.Select(m => m.Step)));
        Assert.That(metrics.Select(m => m["loss"]), Is.EqualTo(reference.Item2.Select(m => m["loss"])));
        Assert.That(metrics.Select(m => m["pair_accuracy"]),
            Is.EqualTo(reference.Item2.Select(m => m["pair_accuracy"])));
    }

    [Test]
    public void CancelledRunWritesACheckpointAndResumes()
    {
        using var cpu = new CpuBackend(2);
        string folder = Path.Combine(_root, "stopped");
        using var stop = new CancellationTokenSource();
        using (var training = PretrainRun.Start(Options with { CheckpointEvery = 0 }, cpu, folder, null))
        {
            training.Trainer.StepCompleted += (step, _) =>
            {
                if (step == 3)
                {
                    stop.Cancel();
                }
            };
            Assert.That(training.Run(stop.Token), Is.EqualTo(PretrainOutcome.Interrupted));
            Assert.That(training.LastCheckpoint!.Info.Step, Is.EqualTo(3));
        }
        var (options, checkpoint, _) = PretrainRun.ReadResumePoint(folder);
        using var resumed = PretrainRun.Resume(options, checkpoint, cpu, null);
        Assert.That(resumed.Run(CancellationToken.None), Is.EqualTo(PretrainOutcome.Completed));
        Assert.That(resumed.Trainer.Step, Is.EqualTo(7));
    }

    [Test]
    public void ResumeRefusesChangedShapes()
    {
        using var cpu = new CpuBackend(2);
        string folder = Path.Combine(_root, "run");
        using (var training = PretrainRun.Start(Options with { MaxSteps = 2 }, cpu, folder, null))
        {
            training.Run(CancellationToken.None);
        }
        var (options, checkpoint, _) = PretrainRun.ReadResumePoint(folder);
        var ex = Assert.Throws<RelReason.Training.Checkpoints.CheckpointException>(() =>
            PretrainRun.CheckCompatible(checkpoint, options, options with { K = 5, Backbone = "resnet8" }));
        Assert.That(ex!.Message, Does.Contain("K 3 -> 5").And.Contain("backbone conv4 -> resnet8"));
        var views = Assert.Throws<RelReason.Training.Checkpoints.CheckpointException>(() => PretrainRun.CheckCompatible(
            checkpoint, options, options with { CropScaleMin = 0.5f, ColorStrength = 0.25f }));
        Assert.That(views!.Message, Does.Contain("crop-min 0.08 -> 0.5").And.Contain("color-strength 1 -> 0.25"));
        Assert.Throws<FileNotFoundException>(() => PretrainRun.ReadResumePoint(Path.Combine(_root, "none")));
    }

    [Test]
    public void NonFiniteLossStopsAndNamesTheStep()
    {
        using var cpu = new CpuBackend(2);
        using var training = PretrainRun.Start(Options with { LearningRate = 1e30f }, cpu,
            Path.Combine(_root, "nan"), null);
        var ex = Assert.Throws<NonFiniteLossException>(() => training.Run(CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain($"step {ex.Step}"));
        Assert.That(ex.Step, Is.GreaterThan(1));
    }
}

/// <summary>
/// A stored configuration that lacks fields (written by an older version) reads back with the defaults.
/// </summary>
public class ConfigJsonTests
{
    [Test]
    public void MissingFieldsKeepTheirDefaults()
    {
        var options = System.Text.Json.JsonSerializer.Deserialize("{\"k\": 8}", TrainingJson.Default.PretrainOptions)!;
        var defaults = new PretrainOptions();
        Assert.That(options.K, Is.EqualTo(8));
        Assert.That(options.Backbone, Is.EqualTo(defaults.Backbone));
        Assert.That(options.M, Is.EqualTo(defaults.M));
        Assert.That(options.LearningRate, Is.EqualTo(defaults.LearningRate));
        Assert.That(options.LogEvery, Is.EqualTo(defaults.LogEvery));
        Assert.That(options.Loss, Is.EqualTo(defaults.Loss));
        Assert.That(options.CropScaleMin, Is.EqualTo(0.08f), "configurations from before the option: the reference's");
        Assert.That(options.ColorStrength, Is.EqualTo(1f));
    }
}
