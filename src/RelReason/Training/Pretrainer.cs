using System.Diagnostics;
using RelReason.Backends;
using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Data.Loading;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Training;

/// <summary>What a logging interval measured.</summary>
public readonly record struct StepReport(int Epoch, int Epochs, long Step, long TotalSteps, float Loss,
    float PairAccuracy, double ViewsPerSecond, double MsPerStep, TimeSpan Eta);

/// <summary>Why the loop stopped.</summary>
public enum PretrainOutcome
{
    Completed,
    Interrupted,
}

/// <summary>Receives what a pretraining run reports; the CLI prints it, writes the run folder and
/// checkpoints.</summary>
public interface IPretrainSink
{
    void Report(StepReport report);

    /// <summary>Called at checkpoint times with the run in a consistent state (between steps).</summary>
    void Checkpoint(Pretrainer run, string reason);

    /// <summary>
    /// Called after the checkpoint of every <see cref="PretrainOptions.KnnEvery"/>-th epoch and of the end of the
    /// run, when that option is set: the place to measure the backbone downstream.
    /// </summary>
    void Monitor(Pretrainer run)
    {
    }
}

/// <summary>Raised when the loss stops being a finite number; the message names the step.</summary>
public sealed class NonFiniteLossException(long step, float loss)
    : Exception($"the loss became {loss} at step {step}; stopping (the parameters after this step are not saved)")
{
    public long Step { get; } = step;
}

/// <summary>
/// The relational-reasoning pretraining loop (METHOD.md 1): a seeded loader of K augmented views per image, the
/// backbone and relation head, Adam at a constant learning rate. Position (epoch, batch within the epoch) and
/// every piece of state live here so that a checkpoint taken between steps resumes to the same numbers.
/// </summary>
public sealed class Pretrainer : IDisposable
{
    private readonly PretrainLoader _loader;
    private readonly IImageDataset _dataset;
    private readonly RelationalStep _step;

    /// <summary>
    /// Opens the dataset and builds the model. On the CPU backend the loader's threads render the views ahead of
    /// the step; on a device backend the step hands the batch's image bytes to <see cref="IBackend.AugmentViews"/>.
    /// </summary>
    public Pretrainer(PretrainOptions options, IBackend backend, Action<string>? log = null)
        : this(options, backend, log, augmentOnBackend: backend.Name != "cpu")
    {
    }

    /// <param name="options">The run.</param>
    /// <param name="backend">Where the model lives.</param>
    /// <param name="log">One-line notes.</param>
    /// <param name="augmentOnBackend">Render views with the backend's op (true) or on the loader's threads.</param>
    internal Pretrainer(PretrainOptions options, IBackend backend, Action<string>? log, bool augmentOnBackend)
    {
        options.Validate();
        Options = options;
        Backend = backend;
        AugmentsOnBackend = augmentOnBackend;
        _dataset = DatasetCatalog.Open(options.Dataset, options.Split, options.OpenOptions(log));
        var spec = DatasetCatalog.Describe(options.Dataset);
        int side = options.Size > 0 ? options.Size : spec.CropSide > 0 ? spec.CropSide : _dataset.Height;
        var (mean, std) = DatasetCatalog.Normalization(options.Dataset, _dataset.Channels);
        Augment = ViewAugmentation(options, side, mean, std);
        _loader = new PretrainLoader(_dataset, Augment, new PretrainLoaderOptions
        {
            ViewsPerImage = options.K,
            BatchSize = options.M,
            Seed = options.Seed,
            Threads = options.Threads,
            DropLast = options.DropLast,
            RenderViews = !augmentOnBackend,
        }, log);
        if (_loader.BatchesPerEpoch == 0)
        {
            throw new ArgumentException(
                $"{_dataset.Name} has {_dataset.Count} images: not one batch of M={options.M} with --drop-last");
        }
        Backbone = BackboneFactory.Create(options.Backbone, backend, _dataset.Channels, (ulong)options.Seed);
        Head = new RelationHead(backend, Backbone.FeatureSize, options.Aggregation, (ulong)options.Seed + 1);
        Optimizer = new Adam(backend,
            [new ParamGroup("backbone", Backbone.Parameters().ToList(), options.LearningRate),
             new ParamGroup("relation", Head.Parameters().ToList(), options.LearningRate)]);
        _step = new RelationalStep(Backbone, Head, Optimizer, options.Loss);
    }

    public PretrainOptions Options { get; }

    /// <summary>The view pipeline of METHOD.md 3.1 with the run's crop and colour strengths.</summary>
    public static AugmentOptions ViewAugmentation(PretrainOptions options, int side, float[] mean, float[] std)
    {
        float s = options.ColorStrength;
        return new AugmentOptions
        {
            Side = side,
            Mean = mean,
            Std = std,
            ScaleMin = options.CropScaleMin,
            Brightness = 0.8f * s,
            Contrast = 0.8f * s,
            Saturation = 0.8f * s,
            Hue = 0.2f * s,
        };
    }

    public IBackend Backend { get; }

    public AugmentOptions Augment { get; }

    public Backbone Backbone { get; }

    public RelationHead Head { get; }

    public Optimizer Optimizer { get; }

    public IImageDataset Dataset => _dataset;

    /// <summary>
    /// Whether each step's views are rendered by the backend from the image bytes (one upload of M images instead
    /// of K*M float views) rather than by the loader. Both give the same bits.
    /// </summary>
    public bool AugmentsOnBackend { get; }

    /// <summary>The epoch being trained (0-based).</summary>
    public int Epoch { get; set; }

    /// <summary>Batches of <see cref="Epoch"/> already done.</summary>
    public int BatchInEpoch { get; set; }

    /// <summary>Steps done in all.</summary>
    public long Step { get; set; }

    /// <summary>
    /// Sums over the steps since the last report. Part of the resumable state: a run resumed between two reports
    /// reports the same means as the uninterrupted run.
    /// </summary>
    public (double LossSum, double AccuracySum, long Steps) Interval { get; set; }

    public int BatchesPerEpoch => _loader.BatchesPerEpoch;

    /// <summary>Raised after every step with (steps done, total steps): a terminal progress bar listens.</summary>
    public event Action<long, long>? StepCompleted;

    public long TotalSteps
    {
        get
        {
            long all = (long)Options.Epochs * BatchesPerEpoch;
            return Options.MaxSteps > 0 ? Math.Min(all, Options.MaxSteps) : all;
        }
    }

    /// <summary>
    /// Trains from the current position to the end, or until <paramref name="stop"/> is signalled (the step in
    /// progress finishes and a checkpoint is written).
    /// </summary>
    public PretrainOutcome Run(IPretrainSink sink, CancellationToken stop)
    {
        var interval = Stopwatch.StartNew();
        var sinceStart = Stopwatch.StartNew();
        long stepsAtStart = Step, intervalViews = 0;
        while (Epoch < Options.Epochs && Step < TotalSteps)
        {
            foreach (var batch in _loader.ReadEpoch(Epoch, BatchInEpoch))
            {
                var result = TrainOn(batch);
                BatchInEpoch++;
                Step++;
                if (!float.IsFinite(result.Loss))
                {
                    throw new NonFiniteLossException(Step, result.Loss);
                }
                Interval = (Interval.LossSum + result.Loss, Interval.AccuracySum + result.PairAccuracy,
                    Interval.Steps + 1);
                intervalViews += batch.Rows;
                StepCompleted?.Invoke(Step, TotalSteps);
                bool endOfEpoch = BatchInEpoch == BatchesPerEpoch;
                bool last = Step >= TotalSteps || (endOfEpoch && Epoch + 1 >= Options.Epochs);
                if (Step % Options.LogEvery == 0 || last)
                {
                    double seconds = interval.Elapsed.TotalSeconds;
                    double perStep = sinceStart.Elapsed.TotalSeconds / Math.Max(1, Step - stepsAtStart);
                    long timed = Math.Max(1, intervalViews / Math.Max(1, batch.Rows));
                    var (lossSum, accSum, n) = Interval;
                    sink.Report(new StepReport(Epoch, Options.Epochs, Step, TotalSteps, (float)(lossSum / n),
                        (float)(accSum / n), intervalViews / seconds, 1000 * seconds / timed,
                        TimeSpan.FromSeconds(perStep * (TotalSteps - Step))));
                    Interval = (0, 0, 0);
                    intervalViews = 0;
                    interval.Restart();
                }
                if (endOfEpoch)
                {
                    Epoch++;
                    BatchInEpoch = 0;
                }
                bool periodic = Options.CheckpointEvery > 0 && Step % Options.CheckpointEvery == 0;
                if (stop.IsCancellationRequested)
                {
                    sink.Checkpoint(this, "interrupted");
                    return PretrainOutcome.Interrupted;
                }
                if (last)
                {
                    sink.Checkpoint(this, "final");
                    if (Options.KnnEvery > 0)
                    {
                        sink.Monitor(this);
                    }
                    return PretrainOutcome.Completed;
                }
                // Epoch ends checkpoint when no step interval is set, and always at 25/50/75/100% of the epochs,
                // so that --checkpoint-every does not lose the epoch checkpoints the run folder keeps.
                bool epochCheckpoint = endOfEpoch &&
                    (Options.CheckpointEvery == 0 || PretrainRun.IsQuarterEpoch(Epoch, Options.Epochs));
                if (periodic || epochCheckpoint)
                {
                    sink.Checkpoint(this, endOfEpoch ? $"epoch {Epoch}" : $"step {Step}");
                }
                if (endOfEpoch)
                {
                    if (Options.KnnEvery > 0 && Epoch % Options.KnnEvery == 0)
                    {
                        sink.Monitor(this);
                    }
                    break;
                }
            }
        }
        sink.Checkpoint(this, "final");
        return PretrainOutcome.Completed;
    }

    private StepResult TrainOn(LoadedBatch batch)
    {
        var shape = new Shape(batch.Rows, _dataset.Channels, Augment.Side, Augment.Side);
        using var views = Backend.Empty(shape);
        if (AugmentsOnBackend)
        {
            Backend.AugmentViews(_loader.Augmenter, batch.Images, batch.ImageIndices, Options.Seed, batch.Epoch,
                Options.K, views);
        }
        else
        {
            Backend.Upload(batch.Values, views);
        }
        return _step.Run(views, Options.K);
    }

    public void Dispose()
    {
        _loader.Dispose();
        _step.Dispose();
        Optimizer.Dispose();
        (_dataset as IDisposable)?.Dispose();
    }
}
