using RelReason.Backends;
using RelReason.Training;
using RelReason.Training.Checkpoints;

namespace RelReason.Cli.Commands;

/// <summary>`relreason finetune`: the whole network trained with (a fraction of the) labels, METHOD.md 4.2.</summary>
internal static class FineTuneCommand
{
    internal static int Run(ArgReader args)
    {
        var source = BackboneSource.Read(args);
        var d = new FineTuneOptions();
        double fraction = args.Double("label-fraction", 1.0, "share of each class's labels used (e.g. 0.01, 0.1)");
        var options = d with
        {
            Epochs = args.Int("epochs", d.Epochs, "epochs", 1),
            BatchSize = args.Int("batch", d.BatchSize, "batch size", 2),
            BackboneLearningRate = args.Float("lr-backbone", d.BackboneLearningRate, "backbone Adam lr", 0),
            ClassifierLearningRate =
                args.Float("lr-classifier", d.ClassifierLearningRate, "classifier Adam lr", 0),
            WeightDecay = args.Float("weight-decay", d.WeightDecay, "L2 weight decay", 0),
            StepDecay = !args.Flag("no-decay", "keep the learning rates constant (no x0.1 at 50% and 75%)"),
        };
        string? save = args.OptionalString("save", "write the fine-tuned backbone and classifier to this checkpoint");
        bool json = args.Flag("json", "print one JSON object as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason finetune: supervised fine-tuning of the whole network\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        source.Check();
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new UsageException($"--label-fraction must be in (0, 1], got {fraction}");
        }
        options = options with { Seed = source.Seed, Threads = source.Threads };
        using var backend = BackendFactory.Create(source.Device, source.Threads, Console.Error.WriteLine);
        using var loaded = source.Load(backend);
        var train = fraction < 1 ? SubsetDataset.LabelFraction(loaded.Train, fraction, source.Seed) : loaded.Train;
        Console.WriteLine($"backbone: {loaded.Description}");
        Console.WriteLine($"labels: {train.Name}, {train.Count} images");
        var report = FineTuner.Run(loaded.Backbone, train, loaded.Test, loaded.Normalisation, options,
            (e, loss, acc) =>
            {
                if (e % 10 == 0 || e == options.Epochs || e == 1)
                {
                    Console.WriteLine(
                        $"epoch {e,4}/{options.Epochs} | train loss {loss:F4} | test top-1 {100 * acc:F2}%");
                }
            }, out var classifier);
        Reports.PrintClassification(report);
        if (loaded.PlotFolder != null)
        {
            Reports.WriteClassificationPlots(report, loaded.PlotFolder, $"finetune-{fraction:G4}");
        }
        loaded.Record("finetune", report.Accuracy, new()
        {
            ["label_fraction"] = fraction, ["labelled_images"] = train.Count, ["epochs"] = options.Epochs,
            ["batch"] = options.BatchSize, ["lr_backbone"] = Reports.Shortest(options.BackboneLearningRate),
            ["lr_classifier"] = Reports.Shortest(options.ClassifierLearningRate),
            ["weight_decay"] = Reports.Shortest(options.WeightDecay),
            ["step_decay"] = options.StepDecay ? 1 : 0, ["seed"] = source.Seed,
        });
        if (save != null)
        {
            var info = new CheckpointInfo
            {
                Backbone = loaded.Backbone.ArchitectureName,
                InChannels = loaded.Backbone.InChannels,
                InputSize = loaded.Normalisation.Side,
                Dataset = loaded.Dataset,
                Method = "fine-tuning",
                Seed = source.Seed,
                Epoch = options.Epochs,
            };
            Checkpoint.Save(save, new CheckpointModules(loaded.Backbone, classifier, Checkpoint.Classifier), info);
            Console.WriteLine($"wrote {save}");
        }
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(Reports.ToJson(report, loaded.Description),
                CliJson.Default.ClassificationResult));
        }
        return 0;
    }
}
