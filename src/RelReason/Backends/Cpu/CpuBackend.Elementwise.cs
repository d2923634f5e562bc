using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private const long ElementGrain = 1 << 15;

    public void AddBias(Tensor y, Tensor bias)
    {
        int n = checked((int)bias.Length);
        if (n == 0 || y.Length % n != 0)
        {
            throw new ArgumentException($"add bias: {y.Describe()} is not a whole number of rows of {bias.Describe()}");
        }
        float* py = Ptr(y), pb = Ptr(bias);
        _parallel.For(y.Length / n, (r0, r1, _) =>
        {
            for (long r = r0; r < r1; r++)
            {
                var row = new Span<float>(py + r * n, n);
                System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(pb, n), row);
            }
        }, ElementGrain / Math.Max(1, n));
    }

    public void BiasBackward(Tensor dy, Tensor dBias, float beta)
    {
        int n = checked((int)dBias.Length);
        if (n == 0 || dy.Length % n != 0)
        {
            throw new ArgumentException($"bias backward: {dy.Describe()} is not a whole number of rows of {n}");
        }
        long rows = dy.Length / n;
        float* pdy = Ptr(dy);
        // Column sums: per-worker partial rows in double, reduced in worker order (deterministic).
        int workers = _parallel.Workers(rows, 256);
        var partial = new double[workers * n];
        _parallel.For(rows, (r0, r1, w) =>
        {
            var acc = new float[n];
            var accSpan = acc.AsSpan();
            for (long r = r0; r < r1; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(accSpan, new ReadOnlySpan<float>(pdy + r * n, n), accSpan);
                if (((r - r0) & 255) == 255)
                {
                    Flush(acc, partial, w * n);
                }
            }
            Flush(acc, partial, w * n);
        }, 256);
        var db = Span(dBias);
        for (int c = 0; c < n; c++)
        {
            double s = 0;
            for (int w = 0; w < workers; w++)
            {
                s += partial[w * n + c];
            }
            Store(ref db[c], (float)s, beta);
        }
    }

    private static void Flush(float[] acc, double[] partial, int offset)
    {
        for (int i = 0; i < acc.Length; i++)
        {
            partial[offset + i] += acc[i];
            acc[i] = 0f;
        }
    }

    public void ReluForward(Tensor x, Tensor y)
    {
        ShapeCheck.SameLength("relu", x, y);
        float* px = Ptr(x), py = Ptr(y);
        _parallel.For(x.Length, (s, e, _) =>
            System.Numerics.Tensors.TensorPrimitives.Max(new ReadOnlySpan<float>(px + s, (int)(e - s)), 0f,
                new Span<float>(py + s, (int)(e - s))), ElementGrain);
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx, float beta)
    {
        ShapeCheck.SameLength("relu backward", y, dy);
        ShapeCheck.SameLength("relu backward", y, dx);
        float* py = Ptr(y), pdy = Ptr(dy), pdx = Ptr(dx);
        _parallel.For(y.Length, (s, e, _) =>
            VectorMath.GateBackward(py + s, pdy + s, pdx + s, (int)(e - s), 0f, beta), ElementGrain);
    }

    public void LeakyReluForward(Tensor x, Tensor y, float slope)
    {
        ShapeCheck.SameLength("leaky relu", x, y);
        float* px = Ptr(x), py = Ptr(y);
        _parallel.For(x.Length, (s, e, _) => VectorMath.Leaky(px + s, py + s, (int)(e - s), slope), ElementGrain);
    }

    public void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope, float beta)
    {
        ShapeCheck.SameLength("leaky relu backward", x, dy);
        ShapeCheck.SameLength("leaky relu backward", x, dx);
        float* px = Ptr(x), pdy = Ptr(dy), pdx = Ptr(dx);
        _parallel.For(x.Length, (s, e, _) =>
            VectorMath.GateBackward(px + s, pdy + s, pdx + s, (int)(e - s), slope, beta), ElementGrain);
    }
}
