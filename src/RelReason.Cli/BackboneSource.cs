using System.Text.Json;
using RelReason.Backends;
using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Nn;
using RelReason.Training;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Cli;

/// <summary>
/// The options every evaluation command shares: which backbone (a checkpoint's, or a random-init one), which
/// dataset and splits, where to compute. The dataset defaults to the one the checkpoint was pretrained on.
/// </summary>
internal sealed record BackboneSource(string? Checkpoint, bool RandomInit, string Backbone, string? Dataset,
    string? DataPath, string TrainSplit, string? TestSplit, string Device, int Threads, int Seed, string? Plots,
    int? ImageSize)
{
    internal static BackboneSource Read(ArgReader args) => new(
        args.OptionalString("checkpoint", "a checkpoint (.safetensors) or run folder whose backbone to evaluate"),
        args.Flag("random-init", "evaluate a randomly initialised backbone instead (the baseline)"),
        args.String("backbone", "conv4", "backbone for --random-init: " + string.Join(", ", BackboneFactory.Names)),
        args.OptionalString("data", "dataset (default: the checkpoint's, or the shipped subset)"),
        args.OptionalString("data-path", "the dataset's folder, when not under the data root"),
        args.String("train-split", "train", "labelled split the classifier (or gallery) uses"),
        args.OptionalString("test-split",
            "split that is evaluated (default: test; val for tiny-imagenet, whose test split has no labels)"),
        args.String("device", "auto", "auto, cpu or cuda"),
        args.Int("threads", Environment.ProcessorCount, "CPU threads", 1),
        args.Int("seed", 1, "seed of the classifier / random-init backbone"),
        args.OptionalString("plots", "folder for PNG plots (default: the checkpoint's run folder)"),
        args.OptionalInt("image-size",
            "folder, tiny-imagenet: resize every image to this side when loading (default: as in pretraining)", 0));

    /// <summary>
    /// A usage error unless the factory knows <paramref name="name"/>: one of its names, or a stem-taking ResNet
    /// with its stem spelled in ("resnet18-small", as checkpoints name it).
    /// </summary>
    internal static string CheckBackboneName(string name)
    {
        int dash = name.IndexOf('-');
        bool spelled = dash > 0 && BackboneFactory.StemNames.Contains(name[..dash]) &&
            BackboneFactory.Stems.Contains(name[(dash + 1)..]);
        return spelled ? name : ArgReader.OneOf("backbone", name, BackboneFactory.Names);
    }

    /// <summary>Usage errors (exit 2) before any backend, file or dataset is touched.</summary>
    internal void Check()
    {
        if ((Checkpoint == null) == !RandomInit)
        {
            throw new UsageException("give either --checkpoint PATH or --random-init");
        }
        CheckBackboneName(Backbone);
        ArgReader.OneOf("device", Device, BackendFactory.Devices);
        if (Dataset != null)
        {
            ArgReader.OneOf("data", Dataset, DatasetCatalog.All.Select(s => s.Name));
        }
    }

    internal LoadedBackbone Load(IBackend backend)
    {
        Check();
        string dataset = Dataset ?? "default";
        string? path = DataPath;
        int imageSize = ImageSize ?? 0;
        string description;
        Backbone backbone;
        int side = 0;
        string? plots = Plots;
        string? checkpointFile = null;
        long step = 0;
        if (Checkpoint != null)
        {
            string file = Directory.Exists(Checkpoint)
                ? System.IO.Path.Combine(Checkpoint, Training.Reporting.RunFolder.LastCheckpointName)
                : Checkpoint;
            if (!File.Exists(file))
            {
                throw new FileNotFoundException(Directory.Exists(Checkpoint)
                    ? $"{file}: no checkpoint in this run folder (the run wrote none yet)"
                    : $"{file}: no such checkpoint file or run folder", file);
            }
            var info = Training.Checkpoints.Checkpoint.ReadInfo(file);
            if (Dataset == null && info.Dataset.Length > 0)
            {
                dataset = info.Dataset;
                if (TryConfig(info) is { } stored)
                {
                    path ??= stored.DataPath;
                    imageSize = ImageSize ?? stored.ImageSize;
                }
            }
            backbone = BackboneFactory.Create(info.Backbone, backend, info.InChannels, (ulong)Seed);
            Training.Checkpoints.Checkpoint.LoadBackbone(file, backbone);
            side = info.InputSize;
            checkpointFile = System.IO.Path.GetFullPath(file);
            step = info.Step;
            description = $"{info.Backbone} from {file} (epoch {info.Epoch}, step {info.Step})";
            plots ??= System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file));
        }
        else
        {
            backbone = null!;
            description = $"{Backbone}, random init (seed {Seed})";
        }
        var open = new DatasetOpenOptions
        {
            Path = path,
            Warn = Console.Error.WriteLine,
            Images = imageSize > 0
                ? new Data.Readers.ImageFolderOptions { Size = imageSize, Warn = Console.Error.WriteLine }
                : null,
        };
        var train = DatasetCatalog.Open(dataset, TrainSplit, open);
        var test = DatasetCatalog.Open(dataset, TestSplit ?? DatasetCatalog.EvaluationSplit(dataset), open);
        if (RandomInit)
        {
            backbone = BackboneFactory.Create(Backbone, backend, train.Channels, (ulong)Seed);
        }
        if (backbone.InChannels != train.Channels)
        {
            throw new UsageException(
                $"the backbone takes {backbone.InChannels}-channel images, {train.Name} has {train.Channels}");
        }
        var spec = DatasetCatalog.Describe(dataset);
        side = side > 0 ? side : spec.CropSide > 0 ? spec.CropSide : train.Height;
        var (mean, std) = DatasetCatalog.Normalization(dataset, train.Channels);
        return new LoadedBackbone(backbone, train, test, new AugmentOptions { Side = side, Mean = mean, Std = std },
            description, plots, dataset) { CheckpointFile = checkpointFile, Step = step };
    }

    private static PretrainOptions? TryConfig(CheckpointInfo info)
    {
        try
        {
            return JsonSerializer.Deserialize(info.ConfigJson, TrainingJson.Default.PretrainOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// A backbone ready for evaluation, with its labelled splits and normalisation; <paramref name="Dataset"/> is the
/// catalog name the splits were opened under.
/// </summary>
internal sealed record LoadedBackbone(Backbone Backbone, IImageDataset Train, IImageDataset Test,
    AugmentOptions Normalisation, string Description, string? PlotFolder, string Dataset) : IDisposable
{
    /// <summary>The checkpoint file the backbone came from (full path); null for a random init.</summary>
    public string? CheckpointFile { get; init; }

    /// <summary>Pretraining steps of that checkpoint (0 for a random init).</summary>
    public long Step { get; init; }

    /// <summary>
    /// Appends an evaluation of this backbone to evaluations.jsonl in the plot folder (the checkpoint's run folder,
    /// or --plots) and says so; does nothing when there is no such folder (a random init without --plots).
    /// </summary>
    internal void Record(string kind, double accuracy, Dictionary<string, double> settings,
        Dictionary<string, double>? scores = null)
    {
        if (PlotFolder == null)
        {
            return;
        }
        string path = EvaluationLog.Append(PlotFolder, new EvaluationRecord
        {
            Kind = kind,
            Checkpoint = CheckpointFile ?? "",
            Step = Step,
            RandomInit = CheckpointFile == null,
            Dataset = Dataset,
            TrainSplit = Train.Name,
            TestSplit = Test.Name,
            Accuracy = accuracy,
            Settings = settings,
            Scores = scores ?? [],
        });
        Console.WriteLine($"recorded in {path}");
    }

    /// <summary>Frozen features of the train and test splits (backbone in evaluation mode).</summary>
    internal (FeatureSet Train, FeatureSet Test) Features(int threads) =>
        (FeatureExtractor.Extract(Backbone, Train, Normalisation, threads),
         FeatureExtractor.Extract(Backbone, Test, Normalisation, threads));

    public void Dispose()
    {
        (Train as IDisposable)?.Dispose();
        (Test as IDisposable)?.Dispose();
    }
}
