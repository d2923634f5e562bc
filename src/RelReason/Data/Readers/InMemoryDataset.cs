namespace RelReason.Data.Readers;

/// <summary>
/// A split held entirely in memory as HWC uint8 pixels, image after image, with optional labels.
/// Readers of formats that fit in memory (IDX, CIFAR, image folders) convert to this once at open time, so that
/// <see cref="ReadImage"/> is a plain copy and trivially thread-safe.
/// </summary>
public sealed class InMemoryDataset : IImageDataset
{
    private readonly byte[] _pixels;
    private readonly int[]? _labels;

    /// <summary>
    /// Wraps <paramref name="pixels"/> (count x height x width x channels bytes, not copied) and
    /// <paramref name="labels"/> (one per image, each in [0, classNames.Count), or null for an unlabelled split).
    /// </summary>
    public InMemoryDataset(string name, int height, int width, int channels, byte[] pixels, int[]? labels,
        IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (height <= 0 || width <= 0 || (channels != 1 && channels != 3))
        {
            throw new ArgumentException($"{name}: image shape {height}x{width}x{channels} is not HxWx1 or HxWx3");
        }
        long imageBytes = (long)height * width * channels;
        if (pixels.LongLength % imageBytes != 0)
        {
            throw new ArgumentException(
                $"{name}: {pixels.LongLength} pixel bytes is not a whole number of {imageBytes}-byte images");
        }
        Count = checked((int)(pixels.LongLength / imageBytes));
        if (labels is not null)
        {
            if (labels.Length != Count)
            {
                throw new ArgumentException($"{name}: {labels.Length} labels for {Count} images");
            }
            for (int i = 0; i < labels.Length; i++)
            {
                if ((uint)labels[i] >= (uint)classNames.Count)
                {
                    throw new ArgumentException(
                        $"{name}: label {labels[i]} of image {i} is outside [0, {classNames.Count})");
                }
            }
        }
        Name = name;
        Height = height;
        Width = width;
        Channels = channels;
        _pixels = pixels;
        _labels = labels;
        ClassNames = labels is null ? [] : classNames;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Channels { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public bool HasLabels => _labels is not null;

    /// <summary>All images back to back, HWC uint8.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>All labels (empty when unlabelled).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <inheritdoc />
    public void ReadImage(int index, Span<byte> destination)
    {
        int n = Height * Width * Channels;
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: image {index} of {Count}");
        }
        if (destination.Length < n)
        {
            throw new ArgumentException($"{Name}: destination holds {destination.Length} bytes, image needs {n}");
        }
        _pixels.AsSpan((int)((long)index * n), n).CopyTo(destination);
    }

    /// <inheritdoc />
    public int GetLabel(int index)
    {
        if (_labels is null)
        {
            throw new InvalidOperationException($"{Name} has no labels");
        }
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: image {index} of {Count}");
        }
        return _labels[index];
    }
}
