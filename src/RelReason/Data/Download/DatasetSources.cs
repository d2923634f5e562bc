namespace RelReason.Data.Download;

/// <summary>How a downloaded file becomes part of the dataset folder.</summary>
public enum Packing
{
    /// <summary>Kept as downloaded (e.g. IDX .gz files, which the reader opens directly).</summary>
    Keep,

    /// <summary>A single gzip-compressed file, decompressed to its name without ".gz".</summary>
    Gzip,

    /// <summary>A gzip-compressed tar archive.</summary>
    TarGz,

    /// <summary>A zip archive.</summary>
    Zip,
}

/// <summary>One file to fetch.</summary>
/// <param name="Name">File name, appended to the base URL and used for the local copy.</param>
/// <param name="Md5">Known MD5, lower-case hex.</param>
/// <param name="Packing">What to do with it once verified.</param>
public sealed record RemoteFile(string Name, string Md5, Packing Packing);

/// <summary>
/// Where a dataset comes from. Archives are unpacked into a staging folder; <paramref name="FolderName"/> is the
/// folder the result must contain (tar/zip archives carry it as their top folder; Keep and Gzip files are put in
/// it), which then moves to root/FolderName.
/// </summary>
/// <param name="Dataset">Catalog name.</param>
/// <param name="BaseUrl">URL prefix of every file, ending in '/'.</param>
/// <param name="FolderName">Dataset folder under the data root.</param>
/// <param name="Files">Files to fetch.</param>
/// <param name="ArchiveHasFolder">True when the archives' entries already start with FolderName/.</param>
public sealed record DatasetSource(string Dataset, string BaseUrl, string FolderName, IReadOnlyList<RemoteFile> Files,
    bool ArchiveHasFolder);

/// <summary>The official locations and checksums (METHOD.md section 6).</summary>
public static class DatasetSources
{
    private static readonly DatasetSource[] Known =
    [
        new("fashion-mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "fashion-mnist",
        [
            new("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", Packing.Keep),
            new("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", Packing.Keep),
            new("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", Packing.Keep),
            new("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", Packing.Keep),
        ], false),
        new("mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/", "mnist",
        [
            new("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", Packing.Keep),
            new("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", Packing.Keep),
            new("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", Packing.Keep),
            new("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", Packing.Keep),
        ], false),
        new("cifar10", "https://www.cs.toronto.edu/~kriz/", "cifar-10-batches-bin",
            [new("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", Packing.TarGz)], true),
        new("cifar100", "https://www.cs.toronto.edu/~kriz/", "cifar-100-binary",
            [new("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", Packing.TarGz)], true),
        new("stl10", "http://ai.stanford.edu/~acoates/stl10/", "stl10_binary",
            [new("stl10_binary.tar.gz", "91f7769df0f17e558f3565bffb0c7dfb", Packing.TarGz)], true),
        new("tiny-imagenet", "http://cs231n.stanford.edu/", "tiny-imagenet-200",
            [new("tiny-imagenet-200.zip", "90528d7ca1a48142e341f4ef8d21d0de", Packing.Zip)], true),
    ];

    /// <summary>Datasets that can be fetched.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Known.Select(k => k.Dataset), "cifar100-20"];

    /// <summary>
    /// The source of <paramref name="dataset"/> ("cifar100-20" shares CIFAR-100's files), with its base URL
    /// replaced by <paramref name="baseUrl"/> when given (a mirror, or a test server).
    /// </summary>
    public static DatasetSource For(string dataset, string? baseUrl = null)
    {
        string key = dataset == "cifar100-20" ? "cifar100" : dataset;
        var source = Known.FirstOrDefault(k => k.Dataset == key) ?? throw new ArgumentException(dataset switch
        {
            "default" => "dataset 'default' ships with RelReason; there is nothing to fetch",
            "folder" => "dataset 'folder' is your own image folder; there is nothing to fetch",
            _ => $"no download source for '{dataset}'; known: {string.Join(", ", Names)}",
        }, nameof(dataset));
        return baseUrl is null ? source : source with { BaseUrl = baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/" };
    }
}
