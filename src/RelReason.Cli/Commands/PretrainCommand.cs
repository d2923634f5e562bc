using System.Runtime.InteropServices;
using RelReason.Backends;
using RelReason.Data;
using RelReason.Nn;
using RelReason.Training;
using RelReason.Training.Checkpoints;

namespace RelReason.Cli.Commands;

/// <summary>`relreason pretrain`: relational-reasoning pretraining into a run folder, with resume.</summary>
internal static class PretrainCommand
{
    // The reference's K=32 and 200 epochs take days on a laptop CPU; on the CPU these defaults finish in minutes.
    // On a GPU the reference's values are the defaults.
    private const int CpuDefaultK = 4;
    private const int CpuDefaultEpochs = 20;
    private const int ReferenceK = 32;
    private const int ReferenceM = 64;
    private const int ReferenceEpochs = 200;

    internal static int Run(ArgReader args)
    {
        var d = new PretrainOptions();
        string? dataset = args.OptionalString("data", "dataset name (default: the shipped Fashion-MNIST subset)");
        string? resume = args.OptionalString("resume", "continue the run in this folder (or from this checkpoint)");
        int? k = args.OptionalInt("k",
            $"augmented views per image (default {ReferenceK} on a GPU as in the reference, {CpuDefaultK} on the CPU)",
            2);
        int? m = args.OptionalInt("m", $"images per step (default {ReferenceM})", 2);
        int? epochs = args.OptionalInt("epochs",
            $"epochs (default {ReferenceEpochs} on a GPU as in the reference, {CpuDefaultEpochs} on the CPU)", 1);
        var options = d with
        {
            Dataset = dataset ?? d.Dataset,
            DataPath = args.OptionalString("data-path", "the dataset's folder, when not under the data root"),
            Split = args.String("split", dataset == "stl10" ? "unlabeled" : d.Split, "split to train on"),
            Backbone = args.String("backbone", d.Backbone, "backbone: " + string.Join(", ", BackboneFactory.Names)),
            K = k ?? ReferenceK,
            M = m ?? ReferenceM,
            Epochs = epochs ?? ReferenceEpochs,
            LearningRate = args.Float("lr", d.LearningRate, "Adam learning rate (constant)"),
            Loss = ParseLoss(args.String("loss", "focal", "bce or focal (gamma 2, alpha 0.5)")),
            Aggregation = ParseAggregation(args.String("aggregation", "cat", "pair aggregation: cat, sum, mean, max")),
            Seed = args.Int("seed", d.Seed, "seed of weights, order and augmentation"),
            Size = args.Int("size", 0, "view side in pixels (0: the dataset's crop side)", 0),
            ImageSize = args.Int("image-size", 0,
                "folder, tiny-imagenet: resize every image to this side when loading (0: keep)", 0),
            DropLast = args.Flag("drop-last", "drop the last, smaller batch of each epoch"),
            CropScaleMin = args.Float("crop-min", d.CropScaleMin,
                "smallest random crop as a fraction of the image area", 0),
            ColorStrength = args.Float("color-strength", d.ColorStrength,
                "colour jitter strength s: ColorJitter(0.8s, 0.8s, 0.8s, 0.2s); 0 turns it off", 0),
        };
        int? logEvery = args.OptionalInt("log-every",
            $"steps between log lines and metrics records (default {d.LogEvery})", 1);
        int? checkpointEvery = args.OptionalInt("checkpoint-every",
            "steps between checkpoints (default 0: every epoch)", 0);
        string? device = args.OptionalString("device", "auto, cpu or cuda (default auto)");
        int? threads = args.OptionalInt("threads", $"CPU threads (default {d.Threads})", 1);
        int? maxSteps = args.OptionalInt("max-steps", "stop after this many steps in all (default 0: all epochs)", 0);
        int? knnEvery = args.OptionalInt("knn-every",
            "k-NN accuracy of the test split against the train split every N epochs and at the end (default 0: off)",
            0);
        options = options with
        {
            LogEvery = logEvery ?? d.LogEvery,
            CheckpointEvery = checkpointEvery ?? 0,
            Device = device ?? d.Device,
            Threads = threads ?? d.Threads,
            MaxSteps = maxSteps ?? 0,
            KnnEvery = knnEvery ?? 0,
        };
        string runs = args.String("out", "runs", "folder that holds run folders");
        string? runName = args.OptionalString("run", "run folder name (default: <time>-<dataset>-<backbone>)");
        bool linearEval = args.Flag("linear-eval", "then linear-evaluate the backbone and a random-init baseline");
        int evalEpochs = args.Int("eval-epochs", 100, "linear-evaluation epochs", 1);
        bool json = args.Flag("json", "print one JSON object as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason pretrain: self-supervised relational reasoning\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();

        if (resume != null)
        {
            var (stored, _, _) = PretrainRun.ReadResumePoint(resume);
            // What may differ on resume: how long, where and how it reports, where the data is; the rest comes
            // from the checkpoint, and an option given with another value is refused rather than ignored.
            // The CPU backend's sums depend on the thread count: keep it to reproduce the uninterrupted numbers.
            var asked = stored with
            {
                Dataset = dataset ?? stored.Dataset,
                Split = args.Given("split") ? options.Split : stored.Split,
                Backbone = args.Given("backbone") ? options.Backbone : stored.Backbone,
                K = k ?? stored.K,
                M = m ?? stored.M,
                LearningRate = args.Given("lr") ? options.LearningRate : stored.LearningRate,
                Loss = args.Given("loss") ? options.Loss : stored.Loss,
                Aggregation = args.Given("aggregation") ? options.Aggregation : stored.Aggregation,
                Seed = args.Given("seed") ? options.Seed : stored.Seed,
                Size = args.Given("size") ? options.Size : stored.Size,
                ImageSize = args.Given("image-size") ? options.ImageSize : stored.ImageSize,
                DropLast = args.Given("drop-last") ? options.DropLast : stored.DropLast,
                CropScaleMin = args.Given("crop-min") ? options.CropScaleMin : stored.CropScaleMin,
                ColorStrength = args.Given("color-strength") ? options.ColorStrength : stored.ColorStrength,
            };
            PretrainRun.CheckCompatible(resume, stored, asked);
            options = stored with
            {
                DataPath = args.Given("data-path") ? options.DataPath : stored.DataPath,
                Epochs = epochs ?? stored.Epochs,
                MaxSteps = maxSteps ?? stored.MaxSteps,
                Device = device ?? stored.Device,
                Threads = threads ?? stored.Threads,
                LogEvery = logEvery ?? stored.LogEvery,
                CheckpointEvery = checkpointEvery ?? stored.CheckpointEvery,
                KnnEvery = knnEvery ?? stored.KnnEvery,
            };
        }
        BackboneSource.CheckBackboneName(options.Backbone);
        ArgReader.OneOf("data", options.Dataset, DatasetCatalog.All.Select(s => s.Name));
        ArgReader.OneOf("split", options.Split, DatasetCatalog.Describe(options.Dataset).Splits);
        ArgReader.OneOf("device", options.Device, BackendFactory.Devices);
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        using var backend = BackendFactory.Create(options.Device, options.Threads, Console.Error.WriteLine);
        if (resume == null && backend.Name == "cpu" && (k == null || epochs == null))
        {
            options = options with { K = k ?? CpuDefaultK, Epochs = epochs ?? CpuDefaultEpochs };
            Console.Error.WriteLine($"on the CPU: K={options.K}, {options.Epochs} epochs by default (the reference: " +
                $"K={ReferenceK}, {ReferenceEpochs} epochs; set --k and --epochs to change)");
        }
        var bar = new StepBar();
        using var training = resume != null
            ? PretrainRun.Resume(options, PretrainRun.ReadResumePoint(resume).Checkpoint, backend, bar.Writer)
            : PretrainRun.Start(options, backend, Path.Combine(runs, runName ?? DefaultName(options)), bar.Writer);
        training.Trainer.StepCompleted += bar.Show;
        using var evalSplits = linearEval ? OpenEvaluationSplits(training, isNew: resume == null) : null;
        PrintConfig(training, backend);
        using var stop = new CancellationTokenSource();
        // Ctrl-C (SIGINT) and SIGTERM (kill, a scheduler's preemption) both finish the step in progress, write a
        // checkpoint and exit with 128 + the signal's number; the same signal again kills at once.
        int signalExit = 0;
        void Stop(int exitCode, string name)
        {
            signalExit = exitCode;
            stop.Cancel();
            Console.Error.WriteLine($"\n{name}: stopping after this step ({name} again kills without a checkpoint)");
        }
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (!stop.IsCancellationRequested)
            {
                e.Cancel = true;
                Stop(130, "Ctrl-C");
            }
        };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            if (!stop.IsCancellationRequested)
            {
                c.Cancel = true;
                Stop(143, "SIGTERM");
            }
        });
        PretrainOutcome outcome;
        try
        {
            outcome = training.Run(stop.Token);
        }
        catch (NonFiniteLossException e)
        {
            bar.Clear();
            var last = training.LastCheckpoint;
            Console.Error.WriteLine($"relreason: {e.Message}. " + (last == null
                ? "No checkpoint was written before it."
                : $"The last good checkpoint is {last.Path} (step {last.Info.Step})."));
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bar.Clear();
            var last = training.LastCheckpoint;
            Console.Error.WriteLine($"relreason: writing the run failed: {e.Message}" + (last == null ? ""
                : $" The last checkpoint that was written is {last.Path} (step {last.Info.Step})."));
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        bar.Clear();
        var final = training.LastCheckpoint!;
        if (outcome == PretrainOutcome.Interrupted)
        {
            training.Folder.Log($"interrupted: checkpoint {final.Path} at step {final.Info.Step}; " +
                $"continue with: relreason pretrain --resume {training.Folder.Path}");
            return signalExit;
        }
        training.Folder.Log($"done: {training.Trainer.Step} steps, checkpoint {final.Path}");
        EvalSummary? eval = null;
        if (linearEval)
        {
            eval = LinearEvalCommand.CompareWithRandomInit(training, evalSplits!, backend, evalEpochs,
                training.Folder.Log);
        }
        if (json)
        {
            var (loss, accuracy, knn) = LastLogged(training);
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new PretrainResult(training.Folder.Path,
                training.Trainer.Step, loss, accuracy, knn, final.Path, eval?.Pretrained, eval?.RandomInit),
                CliJson.Default.PretrainResult));
        }
        return 0;
    }

    /// <summary>
    /// The last logged loss, pair accuracy and k-NN top-1: this training's, or, when it trained no step (a finished
    /// run resumed without more epochs), the last metrics.jsonl lines that have them; null when neither exists.
    /// </summary>
    private static (double? Loss, double? PairAccuracy, double? KnnTop1) LastLogged(PretrainRun training)
    {
        var metrics = training.Folder.ReadMetrics();
        double? Last(string key) =>
            metrics.LastOrDefault(m => double.IsFinite(m[key])) is { } record ? record[key] : null;
        double? knn = training.LastKnn?.Accuracy ?? Last("knn_top1");
        return training.LastReport is { } r
            ? (r.Loss, r.PairAccuracy, knn)
            : (Last("loss"), Last("pair_accuracy"), knn);
    }

    /// <summary>
    /// The splits --linear-eval scores at the end, opened before the first step: a dataset without them is refused
    /// now, and a new run folder that would hold nothing is removed.
    /// </summary>
    private static LabelledSplits OpenEvaluationSplits(PretrainRun training, bool isNew)
    {
        try
        {
            return LabelledSplits.Open(training.Trainer.Options, "--linear-eval", training.Trainer.Dataset,
                Console.Error.WriteLine);
        }
        catch (ArgumentException)
        {
            if (isNew)
            {
                training.Folder.Discard();
            }
            throw;
        }
    }

    private static string DefaultName(PretrainOptions o) =>
        $"{DateTime.Now:yyyyMMdd-HHmmss}-{o.Dataset}-{o.Backbone}";

    private static void PrintConfig(PretrainRun training, IBackend backend)
    {
        var run = training.Trainer;
        var o = run.Options;
        var rows = new (string, string)[]
        {
            ("run folder", training.Folder.Path),
            ("dataset", $"{run.Dataset.Name}: {run.Dataset.Count} images, {run.Dataset.Height}x{run.Dataset.Width}" +
                $"x{run.Dataset.Channels}, views {run.Augment.Side}x{run.Augment.Side}"),
            ("augment", run.Augment.Describe(run.Dataset.Channels)),
            ("backbone", $"{o.Backbone}, {run.Backbone.ParameterCount:N0} parameters"),
            ("head", $"{o.Aggregation.ToString().ToLowerInvariant()} -> 256 -> 1, " +
                $"{run.Head.ParameterCount:N0} parameters"),
            ("K x M", $"{o.K} x {o.M} = {o.K * o.M} views, {o.M * o.K * (o.K - 1)} pairs per step"),
            ("loss", o.Loss == BinaryLossKind.Focal ? "focal (gamma 2, alpha 0.5)" : "binary cross-entropy"),
            ("optimiser", $"Adam, lr {o.LearningRate}, constant"),
            ("steps", $"{run.TotalSteps} ({run.BatchesPerEpoch} per epoch, {o.Epochs} epochs)" +
                (run.Step > 0 ? $", resuming after step {run.Step}" : "")),
            ("seed", o.Seed.ToString()),
            ("device", backend.Description),
            ("k-NN", training.KnnDescription ?? "off (--knn-every N measures it every N epochs)"),
        };
        int w = rows.Max(r => r.Item1.Length);
        foreach (var (key, value) in rows)
        {
            training.Folder.Log($"| {key.PadRight(w)} | {value}");
        }
    }

    internal static BinaryLossKind ParseLoss(string s) => s switch
    {
        "bce" => BinaryLossKind.Bce,
        "focal" => BinaryLossKind.Focal,
        _ => throw new UsageException($"--loss must be bce or focal, got '{s}'"),
    };

    internal static Aggregation ParseAggregation(string s) => s switch
    {
        "cat" => Aggregation.Cat,
        "sum" => Aggregation.Sum,
        "mean" => Aggregation.Mean,
        "max" => Aggregation.Max,
        _ => throw new UsageException($"--aggregation must be cat, sum, mean or max, got '{s}'"),
    };
}
