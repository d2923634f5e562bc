using RelReason.Data;

namespace RelReason.Tests.Data.Loading;

/// <summary>
/// A small synthetic <see cref="IImageDataset"/> for tests: image i's bytes are a fixed hash of (i, offset),
/// labels are i mod 10. Optionally fails when a given image is read, to test error reporting.
/// </summary>
internal sealed class InMemoryDataset : IImageDataset
{
    private readonly byte[] _pixels;
    private readonly int _failingIndex;

    public InMemoryDataset(int count, int height, int width, int channels, bool labels = true, int failingIndex = -1)
    {
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
        HasLabels = labels;
        ClassNames = labels ? Enumerable.Range(0, 10).Select(i => $"class{i}").ToArray() : [];
        _failingIndex = failingIndex;
        int bytes = height * width * channels;
        _pixels = new byte[count * bytes];
        for (int i = 0; i < _pixels.Length; i++)
        {
            // Knuth multiplicative hash: varied values, reproducible, no Random involved.
            _pixels[i] = (byte)(((uint)i * 2654435761u) >> 24);
        }
    }

    public string Name => "in-memory test set";

    public int Count { get; }

    public int Height { get; }

    public int Width { get; }

    public int Channels { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public bool HasLabels { get; }

    private int Bytes => Height * Width * Channels;

    public void ReadImage(int index, Span<byte> destination)
    {
        if (index == _failingIndex)
        {
            throw new InvalidDataException($"in-memory test set: image {index} is marked unreadable");
        }
        _pixels.AsSpan(index * Bytes, Bytes).CopyTo(destination);
    }

    public byte[] ImageOf(int index) => _pixels.AsSpan(index * Bytes, Bytes).ToArray();

    public int GetLabel(int index)
    {
        if (!HasLabels)
        {
            throw new InvalidOperationException("in-memory test set has no labels");
        }
        return index % 10;
    }
}
