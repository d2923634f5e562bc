using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Tests;

/// <summary>Small helpers to move test data in and out of a backend.</summary>
internal static class TestTensors
{
    internal static Tensor From(IBackend b, float[] values, params int[] dims)
    {
        var t = b.Empty(new Shape(dims));
        b.Upload(values, t);
        return t;
    }

    internal static float[] ToArray(IBackend b, Tensor t)
    {
        var v = new float[t.Length];
        b.Download(t, v);
        return v;
    }

    internal static float[] Random(int seed, int count, float scale = 1f, float offset = 0f)
    {
        var rng = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
        }
        return v;
    }
}
