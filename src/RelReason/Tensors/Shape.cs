namespace RelReason.Tensors;

/// <summary>Dimensions of a dense row-major tensor. Images are NCHW; matrices are [rows, cols].</summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape {Format(dims)} has a negative dimension");
            }
        }
        _dims = (int[])dims.Clone();
    }

    public int Rank => _dims?.Length ?? 0;

    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];

    public long Elements
    {
        get
        {
            long n = 1;
            foreach (var d in _dims ?? [])
            {
                n *= d;
            }
            return n;
        }
    }

    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Product of dimensions from <paramref name="axis"/> to the end (the row length of a flattened
    /// view).</summary>
    public long ElementsFrom(int axis)
    {
        long n = 1;
        for (int i = axis; i < Rank; i++)
        {
            n *= _dims[i];
        }
        return n;
    }

    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims ?? [])
        {
            h.Add(d);
        }
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public override string ToString() => Format(_dims ?? []);

    private static string Format(int[] dims) => "[" + string.Join(", ", dims) + "]";
}
