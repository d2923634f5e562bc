namespace RelReason.Data;

/// <summary>
/// What the program knows about a named dataset before opening it: where it lives, its splits, and the
/// normalisation and crop side the method uses for it (METHOD.md 3.1-3.2).
/// </summary>
/// <param name="Name">Catalog name, e.g. "cifar100-20".</param>
/// <param name="FolderName">Folder under the data root (as the archive unpacks); empty for "folder".</param>
/// <param name="Splits">Split names in the order they are usually listed.</param>
/// <param name="CropSide">Side of the random resized crop; 0 for "folder" (use the image size).</param>
/// <param name="Channels">Channels of the stored images (1 for MNIST-style, 3 otherwise).</param>
/// <param name="Mean">Per-channel mean of pixel/255, one entry per channel.</param>
/// <param name="Std">Per-channel standard deviation of pixel/255, one entry per channel.</param>
/// <param name="Description">One line for listings.</param>
public sealed record DatasetSpec(
    string Name,
    string FolderName,
    IReadOnlyList<string> Splits,
    int CropSide,
    int Channels,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    string Description);

/// <summary>How <see cref="DatasetCatalog"/> finds and decodes a dataset.</summary>
public sealed record DatasetOpenOptions
{
    /// <summary>The data root; null means <see cref="DataLocations.DataRoot"/>.</summary>
    public string? Root { get; init; }

    /// <summary>
    /// The dataset's own folder, overriding root + folder name. Required for "folder"; for "default" it replaces
    /// the search of <see cref="DataLocations.FindDefaultDataset"/>.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>Decoding options for "folder" and "tiny-imagenet" (size, channels, side limit).</summary>
    public Readers.ImageFolderOptions? Images { get; init; }

    /// <summary>Receives warnings (skipped files); used when <see cref="Images"/> has none.</summary>
    public Action<string>? Warn { get; init; }
}
