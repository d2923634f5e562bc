using RelReason.Data.Readers;

namespace RelReason.Data;

/// <summary>
/// Opens datasets by name and split. Names: fashion-mnist, mnist, cifar10, cifar100, cifar100-20, stl10,
/// tiny-imagenet, folder, default (the Fashion-MNIST subset shipped in data/fashion-mnist-small).
/// </summary>
public static partial class DatasetCatalog
{
    private static readonly string[] TrainTest = ["train", "test"];
    private static readonly float[] Half3 = [0.5f, 0.5f, 0.5f];

    // Fashion-MNIST: measured on its 60,000 training images (0.28604, 0.35302). MNIST: the commonly published
    // training-set statistics; MNIST is not installed here, so they were not re-measured.
    private static readonly float[] FashionMean = [0.2860f];
    private static readonly float[] FashionStd = [0.3530f];

    private static readonly DatasetSpec[] Specs =
    [
        new("default", DataLocations.DefaultDatasetFolder, TrainTest, 28, 1, FashionMean, FashionStd,
            "Fashion-MNIST subset shipped with RelReason: 4,000 train / 1,000 test, 28x28 gray"),
        new("fashion-mnist", "fashion-mnist", TrainTest, 28, 1, FashionMean, FashionStd,
            "Fashion-MNIST: 60,000 train / 10,000 test, 28x28 gray, 10 classes"),
        new("mnist", "mnist", TrainTest, 28, 1, [0.1307f], [0.3081f],
            "MNIST digits: 60,000 train / 10,000 test, 28x28 gray, 10 classes"),
        new("cifar10", "cifar-10-batches-bin", TrainTest, 32, 3, [0.491f, 0.482f, 0.447f],
            [0.247f, 0.243f, 0.262f], "CIFAR-10: 50,000 train / 10,000 test, 32x32 RGB, 10 classes"),
        new("cifar100", "cifar-100-binary", TrainTest, 32, 3, [0.507f, 0.487f, 0.441f],
            [0.267f, 0.256f, 0.276f], "CIFAR-100: 50,000 train / 10,000 test, 32x32 RGB, 100 classes"),
        new("cifar100-20", "cifar-100-binary", TrainTest, 32, 3, [0.507f, 0.487f, 0.441f],
            [0.267f, 0.256f, 0.276f], "CIFAR-100 with its 20 coarse superclasses as labels"),
        new("stl10", "stl10_binary", ["train", "test", "unlabeled"], 96, 3, Half3, Half3,
            "STL-10: 5,000 train / 8,000 test / 100,000 unlabeled, 96x96 RGB, 10 classes"),
        new("tiny-imagenet", "tiny-imagenet-200", ["train", "val", "test"], 64, 3, Half3, [0.25f, 0.25f, 0.25f],
            "tiny-ImageNet: 100,000 train / 10,000 val / 10,000 unlabelled test, 64x64 RGB, 200 classes"),
        new("folder", "", ["train", "test", "val"], 0, 3, Half3, Half3,
            "image files in class subfolders (or unlabelled), given by path"),
    ];

    /// <summary>Every known dataset, in listing order.</summary>
    public static IReadOnlyList<DatasetSpec> All => Specs;

    /// <summary>The spec of <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static DatasetSpec Describe(string name) =>
        Specs.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException(
            $"unknown dataset '{name}'; known: {string.Join(", ", Specs.Select(s => s.Name))}", nameof(name));

    /// <summary>
    /// The labelled split that evaluation scores: "test", except tiny-ImageNet's, whose test images carry no labels;
    /// its "val" split serves as the test set, as in the reference (METHOD.md 4.1).
    /// </summary>
    public static string EvaluationSplit(string name) => Describe(name).Name == "tiny-imagenet" ? "val" : "test";

    /// <summary>
    /// Mean and std for a 1- or 3-channel view of the dataset: a 1-channel spec is repeated when 3 are asked for
    /// (grayscale images replicated to RGB), a 3-channel spec is averaged when 1 is asked for.
    /// </summary>
    public static (float[] Mean, float[] Std) Normalization(string name, int channels)
    {
        var spec = Describe(name);
        if (channels == spec.Channels)
        {
            return (spec.Mean.ToArray(), spec.Std.ToArray());
        }
        return channels switch
        {
            3 => ([spec.Mean[0], spec.Mean[0], spec.Mean[0]], [spec.Std[0], spec.Std[0], spec.Std[0]]),
            1 => ([spec.Mean.Average()], [spec.Std.Average()]),
            _ => throw new ArgumentException($"channels must be 1 or 3, not {channels}", nameof(channels)),
        };
    }

    /// <summary>
    /// The folder a dataset is read from: options.Path when given, the shipped subset's folder for "default",
    /// otherwise root/FolderName.
    /// </summary>
    public static string ResolveFolder(string name, DatasetOpenOptions? options = null)
    {
        var spec = Describe(name);
        if (options?.Path is string path)
        {
            return Path.GetFullPath(path);
        }
        if (name == "folder")
        {
            throw new ArgumentException("dataset 'folder' needs a path to the image folder");
        }
        if (name == "default")
        {
            return DataLocations.FindDefaultDataset();
        }
        return Path.Combine(options?.Root ?? DataLocations.DataRoot(), spec.FolderName);
    }

    /// <summary>
    /// Opens one split. The result is <see cref="IDisposable"/> for STL-10 (a memory mapping): dispose it when
    /// done. For "folder", split "train" is path/train when that exists, else the path itself; "test" and "val"
    /// are path/test and path/val.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The dataset is not on disk; the message says how to fetch it.
    /// </exception>
    public static IImageDataset Open(string name, string split, DatasetOpenOptions? options = null)
    {
        var spec = Describe(name);
        CheckSplit(spec, split);
        string folder = ResolveFolder(name, options);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(name == "folder"
                ? $"image folder {folder} does not exist"
                : $"dataset '{name}' is not in {folder}; fetch it (relreason data fetch {name}), or set " +
                  $"{DataLocations.EnvironmentVariable} to the folder that holds {spec.FolderName}/");
        }
        var images = ImageOptions(options);
        return name switch
        {
            "default" or "fashion-mnist" => IdxReader.OpenSplit(folder, split, KnownClasses.FashionMnist, name),
            "mnist" => IdxReader.OpenSplit(folder, split, KnownClasses.Mnist, name),
            "cifar10" => CifarReader.OpenCifar10(folder, split),
            "cifar100" => CifarReader.OpenCifar100(folder, split, CifarLabels.Fine),
            "cifar100-20" => CifarReader.OpenCifar100(folder, split, CifarLabels.Coarse),
            "stl10" => Stl10Reader.Open(folder, split),
            "tiny-imagenet" => TinyImageNetReader.Open(folder, split, images),
            _ => ImageFolderReader.Open(FolderSplit(folder, split), images, $"folder/{split}"),
        };
    }

    /// <summary>For "folder": the folder that holds <paramref name="split"/> (see <see cref="Open"/>).</summary>
    public static string FolderSplit(string folder, string split)
    {
        string sub = Path.Combine(folder, split);
        if (Directory.Exists(sub) || split != "train")
        {
            return sub;
        }
        return folder;
    }

    internal static void CheckSplit(DatasetSpec spec, string split)
    {
        if (!spec.Splits.Contains(split))
        {
            throw new ArgumentException(
                $"dataset '{spec.Name}' has splits {string.Join(", ", spec.Splits)}; not '{split}'", nameof(split));
        }
    }

    internal static ImageFolderOptions ImageOptions(DatasetOpenOptions? options)
    {
        var images = options?.Images ?? new ImageFolderOptions();
        return images.Warn is null && options?.Warn is not null ? images with { Warn = options.Warn } : images;
    }
}
