namespace RelReason.Data;

/// <summary>
/// One split of an image dataset. Images come out as uint8, height x width x channels (HWC, row-major),
/// whatever the file stores. Data knows no tensors: the loader and augmentation turn these bytes into views.
/// </summary>
public interface IImageDataset
{
    /// <summary>For messages, e.g. "cifar10/train".</summary>
    string Name { get; }

    int Count { get; }

    int Height { get; }

    int Width { get; }

    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    int Channels { get; }

    /// <summary>Class names in label order; empty when the split has no labels.</summary>
    IReadOnlyList<string> ClassNames { get; }

    bool HasLabels { get; }

    int ImageBytes => Height * Width * Channels;

    /// <summary>Writes image <paramref name="index"/> as HWC uint8 into <paramref name="destination"/>.
    /// Thread-safe.</summary>
    void ReadImage(int index, Span<byte> destination);

    /// <summary>The 0-based label of image <paramref name="index"/>; throws when the split has no labels.</summary>
    int GetLabel(int index);
}
