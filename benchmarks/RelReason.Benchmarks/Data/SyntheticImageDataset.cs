using RelReason.Data;

namespace RelReason.Benchmarks.Data;

/// <summary>
/// An in-memory <see cref="IImageDataset"/> of fixed pseudo-random bytes, so loader benchmarks measure
/// augmentation and batching rather than disk or decoding.
/// </summary>
internal sealed class SyntheticImageDataset : IImageDataset
{
    private readonly byte[] _pixels;

    public SyntheticImageDataset(int count, int height, int width, int channels)
    {
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
        _pixels = new byte[count * height * width * channels];
        new Random(1234).NextBytes(_pixels);
    }

    public string Name => $"synthetic {Height}x{Width}x{Channels}";

    public int Count { get; }

    public int Height { get; }

    public int Width { get; }

    public int Channels { get; }

    public IReadOnlyList<string> ClassNames => [];

    public bool HasLabels => false;

    private int Bytes => Height * Width * Channels;

    public void ReadImage(int index, Span<byte> destination) =>
        _pixels.AsSpan(index * Bytes, Bytes).CopyTo(destination);

    public int GetLabel(int index) => throw new InvalidOperationException($"{Name} has no labels");
}
