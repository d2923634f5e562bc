using RelReason.Data.Readers;

namespace RelReason.Data;

/// <summary>What is on disk for one split, found without decoding the images.</summary>
/// <param name="Split">Split name.</param>
/// <param name="Present">Whether its files are there.</param>
/// <param name="Count">Number of images (0 when absent).</param>
/// <param name="Height">Image height (0 when unknown).</param>
/// <param name="Width">Image width (0 when unknown).</param>
/// <param name="Channels">Channels the reader delivers.</param>
/// <param name="Labelled">Whether the split has labels.</param>
/// <param name="Problem">Why the split is absent or unreadable; null when it looks whole.</param>
public sealed record SplitInfo(string Split, bool Present, int Count, int Height, int Width, int Channels,
    bool Labelled, string? Problem);

/// <summary>A dataset as found on disk: its splits, classes and size.</summary>
/// <param name="Spec">Catalog facts (normalisation, crop side).</param>
/// <param name="Folder">Folder it was looked for in.</param>
/// <param name="Exists">Whether that folder exists.</param>
/// <param name="Splits">One entry per split of the spec.</param>
/// <param name="Classes">Class names in label order (empty when unknown or unlabelled).</param>
/// <param name="BytesOnDisk">Total size of the files under <paramref name="Folder"/>.</param>
public sealed record DatasetInfo(DatasetSpec Spec, string Folder, bool Exists, IReadOnlyList<SplitInfo> Splits,
    IReadOnlyList<string> Classes, long BytesOnDisk);

public static partial class DatasetCatalog
{
    /// <summary>
    /// Describes what is on disk for <paramref name="name"/>: counts and shapes come from file sizes, headers and
    /// file listings, so this is quick even for large datasets. Never throws for a missing or damaged split:
    /// <see cref="SplitInfo.Problem"/> says what is wrong.
    /// </summary>
    public static DatasetInfo Info(string name, DatasetOpenOptions? options = null)
    {
        var spec = Describe(name);
        string folder;
        try
        {
            folder = ResolveFolder(name, options);
        }
        catch (DirectoryNotFoundException e)
        {
            var missing = spec.Splits.Select(s => new SplitInfo(s, false, 0, 0, 0, spec.Channels, false, e.Message));
            return new DatasetInfo(spec, "", false, missing.ToArray(), [], 0);
        }
        bool exists = Directory.Exists(folder);
        var splits = new List<SplitInfo>();
        foreach (string split in spec.Splits)
        {
            splits.Add(exists
                ? InspectSplit(name, folder, split, options)
                : new SplitInfo(split, false, 0, 0, 0, spec.Channels, false, $"{folder} does not exist"));
        }
        return new DatasetInfo(spec, folder, exists, splits, exists ? Classes(name, folder, options) : [],
            exists ? FolderBytes(folder) : 0);
    }

    private static SplitInfo InspectSplit(string name, string folder, string split, DatasetOpenOptions? options)
    {
        var spec = Describe(name);
        try
        {
            switch (name)
            {
                case "default" or "fashion-mnist" or "mnist":
                {
                    string prefix = IdxReader.SplitPrefix(split);
                    int[] dims = IdxReader.ReadDims(IdxReader.FindFile(folder, prefix + "-images-idx3-ubyte"), 3);
                    int labels = IdxReader.ReadDims(IdxReader.FindFile(folder, prefix + "-labels-idx1-ubyte"), 1)[0];
                    string? problem = labels == dims[0] ? null : $"{labels} labels for {dims[0]} images";
                    return new SplitInfo(split, true, dims[0], dims[1], dims[2], 1, true, problem);
                }
                case "cifar10" or "cifar100" or "cifar100-20":
                {
                    var kind = name == "cifar10" ? CifarLabels.Cifar10 : CifarLabels.Fine;
                    long records = 0;
                    string? problem = null;
                    foreach (string f in CifarReader.SplitFiles(folder, split, kind))
                    {
                        long length = new FileInfo(f).Length;
                        records += length / CifarReader.RecordBytes(kind);
                        if (length % CifarReader.RecordBytes(kind) != 0)
                        {
                            problem = $"{f}: size {length} is not a whole number of records";
                        }
                    }
                    return new SplitInfo(split, true, (int)records, 32, 32, 3, true, problem);
                }
                case "stl10":
                {
                    long length = new FileInfo(Path.Combine(folder, split + "_X.bin")).Length;
                    string? problem = length % Stl10Reader.RecordBytes == 0 ? null
                        : $"{split}_X.bin: size {length} is not a whole number of images";
                    bool labelled = split != "unlabeled";
                    if (labelled && !File.Exists(Path.Combine(folder, split + "_y.bin")))
                    {
                        problem = (problem is null ? "" : problem + "; ") + $"{split}_y.bin is missing";
                    }
                    return new SplitInfo(split, true, (int)(length / Stl10Reader.RecordBytes), 96, 96, 3, labelled,
                        problem);
                }
                default:
                {
                    var (items, classes) = name == "tiny-imagenet"
                        ? TinyImageNetReader.Scan(folder, split)
                        : ImageFolderReader.Scan(FolderSplit(folder, split), options?.Images?.Labelled);
                    var images = ImageOptions(options);
                    int w = 0;
                    int h = 0;
                    if (images.Size is int size)
                    {
                        (w, h) = (size, size);
                    }
                    else if (items.Count > 0)
                    {
                        (w, h) = ImageDecoding.Identify(items[0].Path, images.MaxSide);
                    }
                    return new SplitInfo(split, true, items.Count, h, w, images.Channels, classes is not null,
                        items.Count == 0 ? "no image files" : null);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            bool missing = e is FileNotFoundException or DirectoryNotFoundException;
            return new SplitInfo(split, !missing, 0, 0, 0, spec.Channels, false, e.Message);
        }
    }

    private static IReadOnlyList<string> Classes(string name, string folder, DatasetOpenOptions? options)
    {
        try
        {
            return name switch
            {
                "default" or "fashion-mnist" => KnownClasses.FashionMnist,
                "mnist" => KnownClasses.Mnist,
                "cifar10" => KnownClasses.Cifar10,
                "cifar100" => KnownClasses.Cifar100Fine,
                "cifar100-20" => KnownClasses.Cifar100Coarse,
                "stl10" => KnownClasses.Stl10,
                "tiny-imagenet" => TinyImageNetReader.ClassNames(folder, TinyImageNetReader.ReadWnids(folder)),
                _ => ImageFolderReader.Scan(FolderSplit(folder, "train"), options?.Images?.Labelled).ClassNames
                     ?? [],
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static long FolderBytes(string folder)
    {
        long total = 0;
        foreach (var f in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            total += f.Length;
        }
        return total;
    }
}
