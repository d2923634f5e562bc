namespace RelReason.Tests.Reference;

/// <summary>
/// The counter-based initialiser of tests/reference/hashinit.py, which gives the sampled (ResNet-18) fixture its
/// initial weights. For a tensor with generator [kind, seed, scale] and flat index i:
/// kind 0: scale; kind 1: h = Mix32(i ^ Mix32(seed)), value = ((float)(h &gt;&gt; 8) * 2^-23 - 1) * scale, so values
/// are uniform on [-scale, scale). Every step but the last product is exact in float32, so the result is
/// bit-identical to the Python one.
/// </summary>
public static class HashInit
{
    /// <summary>Kind 0: every element equals the scale.</summary>
    public const int Constant = 0;

    /// <summary>Kind 1: hashed uniform values on [-scale, scale).</summary>
    public const int Uniform = 1;

    /// <summary>A 32-bit integer hash (xor-shift / multiply rounds), wrapping arithmetic.</summary>
    public static uint Mix32(uint x)
    {
        unchecked
        {
            x ^= x >> 16;
            x *= 0x7feb352du;
            x ^= x >> 15;
            x *= 0x846ca68bu;
            x ^= x >> 16;
            return x;
        }
    }

    /// <summary>Element <paramref name="index"/> of the tensor with the given generator.</summary>
    public static float Value(int kind, uint seed, float scale, uint index)
    {
        switch (kind)
        {
            case Constant:
                return scale;
            case Uniform:
                uint h = Mix32(index ^ Mix32(seed));
                return ((h >> 8) * (1f / 8388608f) - 1f) * scale;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "hashinit kind must be 0 or 1");
        }
    }

    /// <summary>All <paramref name="count"/> elements of one tensor, flat and row-major.</summary>
    public static float[] Generate(int kind, uint seed, float scale, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = Value(kind, seed, scale, (uint)i);
        }
        return values;
    }
}
