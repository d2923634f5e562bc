using RelReason.Backends;
using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Nn;
using RelReason.Training;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Cli.Commands;

/// <summary>Accuracies of a pretrained backbone and of the random-init baseline.</summary>
internal sealed record EvalSummary(double Pretrained, double RandomInit);

/// <summary>
/// `relreason linear-eval`: METHOD.md 4.1 on a checkpoint's frozen backbone (or a random-init one): features once,
/// a linear classifier trained with Adam, top-1, per-class accuracy and the confusion matrix.
/// </summary>
internal static class LinearEvalCommand
{
    // The reference protocol's classifier settings (METHOD.md 4.1), also the command's defaults.
    private const int Batch = 128;
    private const float LearningRate = 1e-3f;

    internal static int Run(ArgReader args)
    {
        var source = BackboneSource.Read(args);
        int epochs = args.Int("epochs", 100, "classifier epochs", 1);
        int batch = args.Int("batch", Batch, "classifier batch size", 1);
        float lr = args.Float("lr", LearningRate, "classifier Adam learning rate", 0);
        bool json = args.Flag("json", "print one JSON object as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason linear-eval: linear classifier on frozen features (METHOD.md 4.1)\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        source.Check();
        using var backend = BackendFactory.Create(source.Device, source.Threads, Console.Error.WriteLine);
        using var loaded = source.Load(backend);
        Console.WriteLine($"backbone: {loaded.Description}");
        var (train, test) = loaded.Features(source.Threads);
        Console.WriteLine($"features: {train.Count} train, {test.Count} test, {train.Dimension} dimensions");
        var report = LinearProbe.Run(backend, train, test, epochs, batch, lr, source.Seed,
            (e, loss, acc) =>
            {
                if (e % 10 == 0 || e == epochs)
                {
                    Console.WriteLine($"epoch {e,4}/{epochs} | train loss {loss:F4} | test top-1 {100 * acc:F2}%");
                }
            });
        Reports.PrintClassification(report);
        string? plots = loaded.PlotFolder;
        if (plots != null)
        {
            Reports.WriteClassificationPlots(report, plots, "linear-eval");
        }
        loaded.Record("linear-eval", report.Accuracy, new()
        {
            ["epochs"] = epochs, ["batch"] = batch, ["lr"] = Reports.Shortest(lr), ["seed"] = source.Seed,
        });
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(Reports.ToJson(report, loaded.Description),
                CliJson.Default.ClassificationResult));
        }
        return 0;
    }

    /// <summary>Linear evaluation of a pretraining run's backbone and of the same architecture at random
    /// init.</summary>
    internal static EvalSummary CompareWithRandomInit(PretrainRun training, LabelledSplits splits, IBackend backend,
        int epochs, Action<string> log)
    {
        var run = training.Trainer;
        var o = run.Options;
        var (train, test) = (splits.Train, splits.Test);
        double Accuracy(Backbone b)
        {
            var f = FeatureExtractor.Extract(b, train, run.Augment, o.Threads);
            var g = FeatureExtractor.Extract(b, test, run.Augment, o.Threads);
            return LinearProbe.Run(backend, f, g, epochs, Batch, LearningRate, o.Seed).Accuracy;
        }
        double pretrained = Accuracy(run.Backbone);
        double random = Accuracy(BackboneFactory.Create(o.Backbone, backend, run.Backbone.InChannels, (ulong)o.Seed));
        log($"linear eval ({epochs} epochs, {test.Name}): pretrained {100 * pretrained:F2}% | " +
            $"random init {100 * random:F2}% | gain {100 * (pretrained - random):+0.00;-0.00} points");
        var settings = new Dictionary<string, double>
        {
            ["epochs"] = epochs, ["batch"] = Batch, ["lr"] = Reports.Shortest(LearningRate), ["seed"] = o.Seed,
        };
        var checkpoint = training.LastCheckpoint;
        foreach (var (accuracy, randomInit) in new[] { (pretrained, false), (random, true) })
        {
            EvaluationLog.Append(training.Folder.Path, new EvaluationRecord
            {
                Kind = "linear-eval",
                Checkpoint = randomInit || checkpoint == null ? "" : checkpoint.Path,
                Step = randomInit ? 0 : run.Step,
                RandomInit = randomInit,
                Dataset = o.Dataset,
                TrainSplit = train.Name,
                TestSplit = test.Name,
                Accuracy = accuracy,
                Settings = settings,
            });
        }
        return new EvalSummary(pretrained, random);
    }
}
