using RelReason.Backends;
using RelReason.Nn;
using RelReason.Training;

namespace RelReason.Cli.Commands;

/// <summary>`relreason pretrain`: relational-reasoning pretraining, optionally followed by linear evaluation.</summary>
internal static class PretrainCommand
{
    internal static int Run(ArgReader args)
    {
        var d = new PretrainOptions();
        string? dataset = args.OptionalString("data", "dataset name (default: the shipped Fashion-MNIST subset)");
        var options = d with
        {
            Dataset = dataset ?? d.Dataset,
            DataPath = args.OptionalString("data-path", "the dataset's folder, when not under the data root"),
            Split = args.String("split", dataset == "stl10" ? "unlabeled" : d.Split, "split to train on"),
            Backbone = args.String("backbone", d.Backbone, "backbone: " + string.Join(", ", BackboneFactory.Names)),
            K = args.Int("k", CpuDefaultK, "augmented views per image", 2),
            M = args.Int("m", CpuDefaultM, "images per step", 2),
            Epochs = args.Int("epochs", CpuDefaultEpochs, "epochs", 1),
            MaxSteps = args.Int("max-steps", 0, "stop after this many steps (0: all epochs)", 0),
            LearningRate = (float)args.Double("lr", d.LearningRate, "Adam learning rate (constant)"),
            Loss = ParseLoss(args.String("loss", "focal", "bce or focal (gamma 2, alpha 0.5)")),
            Aggregation = ParseAggregation(args.String("aggregation", "cat", "pair aggregation: cat, sum, mean, max")),
            Seed = args.Int("seed", d.Seed, "seed of weights, order and augmentation"),
            LogEvery = args.Int("log-every", d.LogEvery, "steps between log lines", 1),
            Device = args.String("device", d.Device, "auto, cpu or cuda"),
            Threads = args.Int("threads", d.Threads, "CPU threads", 1),
        };
        bool linearEval = args.Flag("linear-eval", "then run linear evaluation, pretrained and random-init");
        int evalEpochs = args.Int("eval-epochs", 100, "linear-evaluation epochs", 1);
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason pretrain: self-supervised relational reasoning\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        options.Validate();

        using var backend = BackendFactory.Create(options.Device, options.Threads, Console.Error.WriteLine);
        using var run = new Pretrainer(options, backend, Console.Error.WriteLine);
        Console.WriteLine($"| dataset  | {run.Dataset.Name} ({run.Dataset.Count} images, " +
            $"{run.Dataset.Height}x{run.Dataset.Width}x{run.Dataset.Channels}) |");
        Console.WriteLine($"| backbone | {options.Backbone} ({run.Backbone.ParameterCount:N0} parameters) |");
        Console.WriteLine($"| K x M    | {options.K} x {options.M} = {options.K * options.M} views, " +
            $"{options.M * options.K * (options.K - 1)} pairs per step |");
        Console.WriteLine($"| steps    | {run.TotalSteps} ({run.BatchesPerEpoch} per epoch, {options.Epochs} epochs) |");
        Console.WriteLine($"| device   | {backend.Description} |");
        var sink = new ConsoleSink();
        run.Run(sink, CancellationToken.None);
        if (linearEval)
        {
            RunLinearEval(run, backend, evalEpochs);
        }
        return 0;
    }

    private static void RunLinearEval(Pretrainer run, IBackend backend, int epochs)
    {
        var test = Data.DatasetCatalog.Open(run.Options.Dataset, "test",
            new Data.DatasetOpenOptions { Path = run.Options.DataPath });
        var train = run.Options.Split == "train"
            ? run.Dataset
            : Data.DatasetCatalog.Open(run.Options.Dataset, "train", new Data.DatasetOpenOptions { Path = run.Options.DataPath });
        foreach (var (label, backbone) in new[]
        {
            ("pretrained", run.Backbone),
            ("random-init", BackboneFactory.Create(run.Options.Backbone, backend, run.Dataset.Channels,
                (ulong)run.Options.Seed)),
        })
        {
            var trainF = FeatureExtractor.Extract(backbone, train, run.Augment, run.Options.Threads);
            var testF = FeatureExtractor.Extract(backbone, test, run.Augment, run.Options.Threads);
            var report = LinearProbe.Run(backend, trainF, testF, epochs, seed: run.Options.Seed);
            Console.WriteLine($"linear eval ({label}): top-1 {100 * report.Accuracy:F2}%");
        }
    }

    // The reference's K=32, M=64 and 200 epochs take days on a laptop CPU; these defaults finish in minutes.
    private const int CpuDefaultK = 4;
    private const int CpuDefaultM = 64;
    private const int CpuDefaultEpochs = 10;

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

    private sealed class ConsoleSink : IPretrainSink
    {
        public void Report(StepReport r) => Console.WriteLine(
            $"epoch {r.Epoch + 1,3}/{r.Epochs} | step {r.Step,6}/{r.TotalSteps} | loss {r.Loss:F4} | " +
            $"pair acc {100 * r.PairAccuracy,6:F2}% | {r.ViewsPerSecond,7:F0} views/s | {r.MsPerStep,7:F1} ms/step | " +
            $"ETA {r.Eta:hh\\:mm\\:ss}");

        public void Checkpoint(Pretrainer run, string reason)
        {
        }
    }
}
