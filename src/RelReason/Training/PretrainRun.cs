using System.Globalization;
using System.Text.Json;
using RelReason.Backends;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Training;

/// <summary>
/// A pretraining run with its run folder: config.json at the start, a log line and a metrics.jsonl record per
/// logging interval, last.safetensors at every checkpoint (plus epoch checkpoints at 25, 50, 75 and 100% of the
/// epochs, as the reference keeps), and resuming from a run folder or checkpoint to the same numbers.
/// </summary>
public sealed class PretrainRun : IPretrainSink, IDisposable
{
    private const string BatchInEpochKey = "batch_in_epoch";
    private const string IntervalLossKey = "interval_loss_sum";
    private const string IntervalAccuracyKey = "interval_accuracy_sum";
    private const string IntervalStepsKey = "interval_steps";
    private const string ArithmeticKey = "arithmetic";
    private readonly Action<StepReport>? _onReport;
    private readonly KnnMonitor? _knn;

    private PretrainRun(Pretrainer trainer, RunFolder folder, Action<StepReport>? onReport)
    {
        Trainer = trainer;
        Folder = folder;
        _onReport = onReport;
        // Opened before the first step, so that a dataset without labelled splits is refused up front.
        _knn = trainer.Options.KnnEvery > 0
            ? KnnMonitor.Open(trainer.Options, trainer.Augment.Side, trainer.Dataset, folder.Log)
            : null;
    }

    /// <summary>What the k-NN monitor measures and when, for the configuration table; null when it is off.</summary>
    public string? KnnDescription => _knn == null ? null :
        $"every {Trainer.Options.KnnEvery} epoch(s) and at the end: {_knn.Splits.Queries} queries against " +
        $"{_knn.Splits.Gallery} (k={KnnMonitor.Neighbours}, cosine)";

    public Pretrainer Trainer { get; }

    public RunFolder Folder { get; }

    /// <summary>The last checkpoint written (or loaded), with its step; null before the first.</summary>
    public RunCheckpoint? LastCheckpoint { get; private set; }

    /// <summary>The mean loss and pair accuracy of the last logging interval.</summary>
    public StepReport? LastReport { get; private set; }

    /// <summary>The last k-NN reading of this process (null when none was taken).</summary>
    public KnnReading? LastKnn { get; private set; }

    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be new or empty).</summary>
    public static PretrainRun Start(PretrainOptions options, IBackend backend, string runFolder, TextWriter? echo,
        Action<StepReport>? onReport = null)
    {
        var folder = RunFolder.CreateAt(runFolder, echo);
        Pretrainer? trainer = null;
        try
        {
            trainer = new Pretrainer(options, backend, folder.Log);
            var run = new PretrainRun(trainer, folder, onReport);
            folder.WriteConfig(options, TrainingJson.Default.PretrainOptions);
            return run;
        }
        catch
        {
            // The dataset or options were refused before the first step: no empty run folder is left behind.
            trainer?.Dispose();
            folder.Discard();
            throw;
        }
    }

    /// <summary>The configuration stored in a run folder's last checkpoint (or a checkpoint file).</summary>
    public static (PretrainOptions Options, string Checkpoint, string Folder) ReadResumePoint(string path)
    {
        string checkpoint = Directory.Exists(path) ? Path.Combine(path, RunFolder.LastCheckpointName) : path;
        if (!File.Exists(checkpoint))
        {
            throw new FileNotFoundException(Directory.Exists(path)
                ? $"{path}: no {RunFolder.LastCheckpointName} to resume from (the run wrote no checkpoint yet)"
                : $"{path}: no such checkpoint or run folder", checkpoint);
        }
        var info = Checkpoint.ReadInfo(checkpoint);
        if (info.Method != Checkpoint.RelationalReasoning)
        {
            throw new CheckpointException(checkpoint, $"a {info.Method} checkpoint, not a pretraining one: --resume " +
                "continues relational-reasoning runs");
        }
        var options = JsonSerializer.Deserialize(info.ConfigJson, TrainingJson.Default.PretrainOptions)
            ?? throw new CheckpointException(checkpoint, "the checkpoint holds no run configuration");
        return (options, checkpoint, Path.GetDirectoryName(Path.GetFullPath(checkpoint))!);
    }

    /// <summary>
    /// Resumes from <paramref name="checkpoint"/> with <paramref name="options"/> (the stored configuration, where
    /// only what does not change the numbers' shapes may differ: epochs, device, threads, intervals).
    /// </summary>
    public static PretrainRun Resume(PretrainOptions options, string checkpoint, IBackend backend, TextWriter? echo,
        Action<StepReport>? onReport = null)
    {
        var stored = ReadResumePoint(checkpoint).Options;
        CheckCompatible(checkpoint, stored, options);
        var trainer = new Pretrainer(options, backend, echo == null ? null : echo.WriteLine);
        try
        {
            var info = Checkpoint.Load(checkpoint, new CheckpointModules(trainer.Backbone, trainer.Head,
                Checkpoint.RelationHead, trainer.Optimizer));
            trainer.Step = info.Step;
            trainer.Epoch = info.Epoch;
            trainer.BatchInEpoch = int.Parse(info.Extra.GetValueOrDefault(BatchInEpochKey, "0"),
                CultureInfo.InvariantCulture);
            double Number(string key) =>
                double.Parse(info.Extra.GetValueOrDefault(key, "0"), CultureInfo.InvariantCulture);
            trainer.Interval = (Number(IntervalLossKey), Number(IntervalAccuracyKey),
                (long)Number(IntervalStepsKey));
            var folder = RunFolder.Resume(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, info.Step, echo);
            folder.Log($"resumed from {checkpoint}: epoch {info.Epoch + 1}, step {info.Step}");
            if (info.Extra.TryGetValue(ArithmeticKey, out var then) && then != backend.Arithmetic)
            {
                folder.Log($"note: the checkpoint was written by {then}; this process runs {backend.Arithmetic}, so " +
                    "from here the numbers match an uninterrupted run to rounding only, not bit for bit");
            }
            return new PretrainRun(trainer, folder, onReport)
            {
                LastCheckpoint = new RunCheckpoint(checkpoint, info),
            };
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>Throws when <paramref name="requested"/> changes something a checkpoint's tensors depend on.</summary>
    public static void CheckCompatible(string checkpoint, PretrainOptions stored, PretrainOptions requested)
    {
        var changes = new List<string>();
        void Same<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                changes.Add($"{name} {a} -> {b}");
            }
        }
        Same("dataset", stored.Dataset, requested.Dataset);
        Same("split", stored.Split, requested.Split);
        Same("backbone", stored.Backbone, requested.Backbone);
        Same("K", stored.K, requested.K);
        Same("M", stored.M, requested.M);
        Same("size", stored.Size, requested.Size);
        Same("image-size", stored.ImageSize, requested.ImageSize);
        Same("aggregation", stored.Aggregation, requested.Aggregation);
        Same("loss", stored.Loss, requested.Loss);
        Same("seed", stored.Seed, requested.Seed);
        Same("drop-last", stored.DropLast, requested.DropLast);
        Same("lr", stored.LearningRate, requested.LearningRate);
        Same("crop-min", stored.CropScaleMin, requested.CropScaleMin);
        Same("color-strength", stored.ColorStrength, requested.ColorStrength);
        if (changes.Count > 0)
        {
            throw new CheckpointException(checkpoint,
                "--resume continues the run as it was configured; these options differ: " + string.Join(", ", changes) +
                ". Start a new run to change them.");
        }
    }

    public PretrainOutcome Run(CancellationToken stop) => Trainer.Run(this, stop);

    void IPretrainSink.Report(StepReport r)
    {
        LastReport = r;
        Folder.AppendMetrics(r.Step,
            ("epoch", r.Epoch + 1), ("loss", r.Loss), ("pair_accuracy", r.PairAccuracy),
            ("views_per_second", r.ViewsPerSecond), ("ms_per_step", r.MsPerStep),
            ("lr", Trainer.Options.LearningRate));
        _onReport?.Invoke(r);
        Folder.Log(FormatReport(r));
    }

    void IPretrainSink.Checkpoint(Pretrainer run, string reason)
    {
        var info = new CheckpointInfo
        {
            Backbone = run.Options.Backbone,
            InChannels = run.Backbone.InChannels,
            InputSize = run.Augment.Side,
            Dataset = run.Options.Dataset,
            K = run.Options.K,
            M = run.Options.M,
            Aggregation = run.Options.Aggregation.ToString().ToLowerInvariant(),
            Loss = run.Options.Loss.ToString().ToLowerInvariant(),
            Seed = run.Options.Seed,
            Epoch = run.Epoch,
            Step = run.Step,
            ConfigJson = JsonSerializer.Serialize(run.Options, TrainingJson.Default.PretrainOptions),
            Extra = new Dictionary<string, string>
            {
                [BatchInEpochKey] = run.BatchInEpoch.ToString(CultureInfo.InvariantCulture),
                [IntervalLossKey] = run.Interval.LossSum.ToString("R", CultureInfo.InvariantCulture),
                [IntervalAccuracyKey] = run.Interval.AccuracySum.ToString("R", CultureInfo.InvariantCulture),
                [IntervalStepsKey] = run.Interval.Steps.ToString(CultureInfo.InvariantCulture),
                [ArithmeticKey] = run.Backend.Arithmetic,
            },
        };
        var modules = new CheckpointModules(run.Backbone, run.Head, Checkpoint.RelationHead, run.Optimizer);
        var stored = Checkpoint.Save(Folder.LastCheckpointPath, modules, info);
        LastCheckpoint = new RunCheckpoint(Folder.LastCheckpointPath, stored);
        if (run.BatchInEpoch == 0 && IsQuarterEpoch(run.Epoch, run.Options.Epochs))
        {
            Checkpoint.Save(Folder.EpochCheckpointPath(run.Epoch), modules, info);
        }
        Folder.Log($"checkpoint ({reason}): {Folder.LastCheckpointPath} at step {run.Step}");
        WritePlots();
        Checkpointed?.Invoke(this);
    }

    void IPretrainSink.Monitor(Pretrainer run)
    {
        if (_knn == null)
        {
            return;
        }
        var r = _knn.Measure(run.Backbone, run.Options.Threads);
        LastKnn = r;
        int epoch = run.BatchInEpoch == 0 ? run.Epoch : run.Epoch + 1;
        Folder.AppendMetrics(run.Step, ("epoch", epoch), (Plots.KnnKey, r.Accuracy));
        Folder.Log($"k-NN after epoch {epoch}, step {run.Step}: top-1 {100 * r.Accuracy:F2}% (k={r.K}, cosine, " +
            $"{r.Queries} queries, {r.Gallery} gallery, {r.Seconds:F1} s)");
        WritePlots();
    }

    /// <summary>training.png in the run folder: loss and pair accuracy per logged step, redrawn at each
    /// checkpoint.</summary>
    public string PlotPath => Folder.File("training.png");

    private void WritePlots()
    {
        var metrics = Folder.ReadMetrics();
        if (metrics.Count > 0)
        {
            var o = Trainer.Options;
            Plots.TrainingCurves(PlotPath, metrics, $"{o.Backbone} on {o.Dataset}, K={o.K} M={o.M}, {o.Loss} loss");
        }
    }

    /// <summary>Called after every checkpoint (the CLI redraws its plots there).</summary>
    public event Action<PretrainRun>? Checkpointed;

    /// <summary>True when <paramref name="epochsDone"/> is 25, 50, 75 or 100% of <paramref name="epochs"/>.</summary>
    internal static bool IsQuarterEpoch(int epochsDone, int epochs) =>
        epochsDone > 0 && Enumerable.Range(1, 4).Any(q => epochsDone == (int)Math.Round(epochs * q / 4.0));

    public static string FormatReport(StepReport r) =>
        $"epoch {r.Epoch + 1,3}/{r.Epochs} | step {r.Step,6}/{r.TotalSteps} | loss {r.Loss:F4} | " +
        $"pair acc {100 * r.PairAccuracy,6:F2}% | {r.ViewsPerSecond,7:F0} views/s | {r.MsPerStep,7:F1} ms/step | " +
        $"ETA {r.Eta:hh\\:mm\\:ss}";

    public void Dispose()
    {
        _knn?.Dispose();
        Trainer.Dispose();
        Folder.Dispose();
    }
}
