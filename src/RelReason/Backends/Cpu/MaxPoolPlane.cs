using System.Numerics;

namespace RelReason.Backends.Cpu;

/// <summary>
/// Max pooling of one [H, W] plane: for each output, the index of the first maximum of its window in row-major
/// order (padding never wins; the first NaN wins, so NaN propagates). Forward stores x at that index, backward adds
/// dy there, in output order.
/// <para>
/// Windows that lie wholly inside the plane are scanned <see cref="Vector{T}.Count"/> outputs at a time, without
/// branches: on activations each comparison is close to a coin toss, and a mispredicted branch per tap cost more
/// than the rest of the work. A strided window reads every s-th column, so each input row is first split into its
/// s phases (phase r holds columns r, r + s, ...); tap kx of outputs ox.. then is one contiguous load from a phase.
/// Border windows take the scalar scan with bounds checks; both follow the same rule.
/// </para>
/// </summary>
internal static unsafe class MaxPoolPlane
{
    /// <summary>Floats of scratch <see cref="ArgMax"/> needs for one plane.</summary>
    internal static long ScratchLength(int h, int w, PoolGeometry p) =>
        p.Stride == 1 ? 0 : (long)h * p.Stride * PhaseWidth(w, p.Stride);

    private static int PhaseWidth(int w, int stride) => (w + stride - 1) / stride;

    /// <summary>idx[oy * ow + ox] = the window's winning index into the plane src [h, w].</summary>
    internal static void ArgMax(float* src, int h, int w, int oh, int ow, PoolGeometry p, int* idx, float* scratch)
    {
        int s = p.Stride, pad = p.Pad, lanes = Vector<float>.Count;
        var (oxLo, oxHi) = Inside(w, ow, p);
        var (oyLo, oyHi) = Inside(h, oh, p);
        bool vectors = Vector.IsHardwareAccelerated && oxHi - oxLo >= lanes;
        int pw = PhaseWidth(w, s);
        if (vectors && s > 1)
        {
            SplitPhases(src, h, w, s, pw, scratch);
        }
        for (int oy = 0; oy < oh; oy++)
        {
            int* row = idx + oy * ow;
            if (!vectors || oy < oyLo || oy >= oyHi)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    row[ox] = Scalar(src, h, w, oy, ox, p);
                }
                continue;
            }
            for (int ox = 0; ox < oxLo; ox++)
            {
                row[ox] = Scalar(src, h, w, oy, ox, p);
            }
            // The last group ends at oxHi and may overlap the one before: it recomputes the same indices.
            for (int x0 = oxLo; x0 < oxHi; x0 += lanes)
            {
                int at = Math.Min(x0, oxHi - lanes);
                Vectors(src, w, s == 1 ? null : scratch, pw, oy * s - pad, at, p, row + at);
            }
            for (int ox = oxHi; ox < ow; ox++)
            {
                row[ox] = Scalar(src, h, w, oy, ox, p);
            }
        }
    }

    /// <summary>The outputs [lo, hi) along one axis whose windows lie inside it: o * s - pad >= 0 and
    /// o * s - pad + k <= size.</summary>
    private static (int Lo, int Hi) Inside(int size, int outSize, PoolGeometry p)
    {
        int lo = Math.Min(outSize, (p.Pad + p.Stride - 1) / p.Stride), last = size - p.Kernel + p.Pad;
        return (lo, last < 0 ? lo : Math.Max(lo, Math.Min(outSize, last / p.Stride + 1)));
    }

    /// <summary>scratch [h][s][pw]: phase r of row y holds columns r, r + s, ... of that row.</summary>
    private static void SplitPhases(float* src, int h, int w, int s, int pw, float* scratch)
    {
        for (int y = 0; y < h; y++)
        {
            float* line = src + (long)y * w;
            for (int r = 0; r < s; r++)
            {
                float* phase = scratch + ((long)y * s + r) * pw;
                int j = 0;
                for (int c = r; c < w; c += s, j++)
                {
                    phase[j] = line[c];
                }
            }
        }
    }

    /// <summary>Lanes outputs of one row, windows known to be inside the plane; iy0 is the window's top row.</summary>
    private static void Vectors(float* src, int w, float* phases, int pw, int iy0, int ox0, PoolGeometry p,
        int* dst)
    {
        int k = p.Kernel, s = p.Stride, pad = p.Pad;
        // Lane l holds output ox0 + l; its tap (ky, kx) sits at plane index (iy0 + ky) * w + (ox0 + l) * s - pad + kx.
        var lane = Vector<int>.Indices;
        var strideV = new Vector<int>(s);
        var bestIndex = Vector<int>.Zero;
        var bestValue = Vector<float>.Zero;
        bool first = true;
        for (int ky = 0; ky < k; ky++)
        {
            int iy = iy0 + ky;
            for (int kx = 0; kx < k; kx++)
            {
                int t = kx - pad, r = ((t % s) + s) % s, shift = (t - r) / s;
                var v = phases == null
                    ? Vector.Load(src + (long)iy * w + ox0 + t)
                    : Vector.Load(phases + ((long)iy * s + r) * pw + ox0 + shift);
                var index = new Vector<int>(iy * w + ox0 * s + t) + lane * strideV;
                if (first)
                {
                    bestValue = v;
                    bestIndex = index;
                    first = false;
                    continue;
                }
                // Take over where v > best, or where v is NaN and best is not yet (x != x only for NaN).
                var take = Vector.GreaterThan(v, bestValue) |
                    (~Vector.Equals(v, v) & Vector.Equals(bestValue, bestValue));
                bestValue = Vector.ConditionalSelect(take, v, bestValue);
                bestIndex = Vector.ConditionalSelect(take, index, bestIndex);
            }
        }
        bestIndex.Store(dst);
    }

    /// <summary>One window with bounds checks (any position).</summary>
    internal static int Scalar(float* src, int h, int w, int oy, int ox, PoolGeometry p)
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int ky = 0; ky < p.Kernel; ky++)
        {
            int iy = oy * p.Stride - p.Pad + ky;
            if ((uint)iy >= (uint)h)
            {
                continue;
            }
            for (int kx = 0; kx < p.Kernel; kx++)
            {
                int ix = ox * p.Stride - p.Pad + kx;
                if ((uint)ix >= (uint)w)
                {
                    continue;
                }
                float v = src[iy * w + ix];
                if (best < 0 || v > bestValue || float.IsNaN(v))
                {
                    best = iy * w + ix;
                    bestValue = v;
                    if (float.IsNaN(v))
                    {
                        return best;
                    }
                }
            }
        }
        return best;
    }
}
