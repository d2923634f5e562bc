namespace RelReason.Training.Checkpoints;

/// <summary>Element types RelReason reads and writes; the names are those of the safetensors header.</summary>
public enum SafetensorsDType
{
    /// <summary>float32, little-endian: parameters, buffers, optimiser state.</summary>
    F32,

    /// <summary>int64, little-endian: batch norm's num_batches_tracked, as PyTorch stores it.</summary>
    I64,
}

/// <summary>A tensor to write: name, element type, shape (empty when 0-d) and where its values come from.</summary>
public sealed class SafetensorsTensor
{
    private readonly ReadOnlyMemory<float> _floats;
    private readonly ReadOnlyMemory<long> _longs;
    private readonly Action<Span<float>>? _fill;

    private SafetensorsTensor(string name, SafetensorsDType dtype, int[] shape, ReadOnlyMemory<float> floats,
        ReadOnlyMemory<long> longs, Action<Span<float>>? fill)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        DType = dtype;
        Shape = (int[])shape.Clone();
        long count = 1;
        foreach (int d in Shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dim");
            }
            count *= d;
        }
        ElementCount = count;
        long given = dtype == SafetensorsDType.F32 ? floats.Length : longs.Length;
        if (fill is null && given != count)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] has {count} elements, {given} values given");
        }
        _floats = floats;
        _longs = longs;
        _fill = fill;
    }

    /// <summary>The header key.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>Dimensions, outermost first; empty for a 0-d tensor (one element).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Product of the dimensions (1 for a 0-d tensor).</summary>
    public long ElementCount { get; }

    /// <summary>Bytes in the data section: elements times 4 (F32) or 8 (I64).</summary>
    public long ByteCount => ElementCount * SizeOf(DType);

    /// <summary>A float32 tensor whose values are in memory now.</summary>
    public static SafetensorsTensor F32(string name, int[] shape, ReadOnlyMemory<float> values) =>
        new(name, SafetensorsDType.F32, shape, values, default, null);

    /// <summary>
    /// A float32 tensor whose values are produced while the file is written (e.g. downloaded from a device), so
    /// that only one tensor's values are on the host at a time. <paramref name="fill"/> must write every element.
    /// </summary>
    public static SafetensorsTensor F32(string name, int[] shape, Action<Span<float>> fill) =>
        new(name, SafetensorsDType.F32, shape, default, default,
            fill ?? throw new ArgumentNullException(nameof(fill)));

    /// <summary>An int64 tensor; <c>I64(name, [], [n])</c> is a 0-d counter like num_batches_tracked.</summary>
    public static SafetensorsTensor I64(string name, int[] shape, ReadOnlyMemory<long> values) =>
        new(name, SafetensorsDType.I64, shape, default, values, null);

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(SafetensorsDType dtype) => dtype == SafetensorsDType.F32 ? 4 : 8;

    /// <summary>The float values: the given memory, or <paramref name="scratch"/> filled by the producer.</summary>
    internal ReadOnlySpan<float> Floats(Span<float> scratch)
    {
        if (_fill is null)
        {
            return _floats.Span;
        }
        _fill(scratch);
        return scratch;
    }

    internal bool IsProduced => _fill is not null;

    internal ReadOnlySpan<long> Longs => _longs.Span;
}
