namespace RelReason.Nn;

/// <summary>
/// Seeded generator for weight initialisation: SplitMix64 for uniform draws, Box-Muller for normals. Written out
/// here rather than using System.Random so that the same seed gives the same weights on every .NET version.
/// </summary>
public sealed class InitRandom
{
    private ulong _state;

    public InitRandom(ulong seed) => _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A new generator for a named sub-stream, so adding a layer does not shift the others' weights.</summary>
    public InitRandom Fork(string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in name)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return new InitRandom(NextUInt64() ^ h);
    }

    public float[] Normal(int count, double std)
    {
        var v = new float[count];
        for (int i = 0; i < count; i += 2)
        {
            double u1 = 1.0 - NextDouble(), u2 = NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)) * std;
            v[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < count)
            {
                v[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
            }
        }
        return v;
    }

    public float[] Uniform(int count, double low, double high)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(low + (high - low) * NextDouble());
        }
        return v;
    }
}
