using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>For each feature row, the pairs that read it as left and as right (CSR), built once per
    /// index.</summary>
    private sealed class PairInverse
    {
        internal PairInverse(PairIndex pairs, int rows)
        {
            (LeftStart, LeftPairs) = Invert(pairs.Left, rows);
            (RightStart, RightPairs) = Invert(pairs.Right, rows);
        }

        internal int[] LeftStart { get; }

        internal int[] LeftPairs { get; }

        internal int[] RightStart { get; }

        internal int[] RightPairs { get; }

        private static (int[] Start, int[] Pairs) Invert(int[] rowOfPair, int rows)
        {
            var start = new int[rows + 1];
            foreach (var r in rowOfPair)
            {
                start[r + 1]++;
            }
            for (int r = 0; r < rows; r++)
            {
                start[r + 1] += start[r];
            }
            var fill = (int[])start.Clone();
            var list = new int[rowOfPair.Length];
            for (int p = 0; p < rowOfPair.Length; p++)
            {
                list[fill[rowOfPair[p]]++] = p;
            }
            return (start, list);
        }
    }

    private static PairInverse Inverse(PairIndex pairs)
    {
        if (pairs.BackendCache is PairInverse inv)
        {
            return inv;
        }
        inv = new PairInverse(pairs, pairs.K * pairs.M);
        pairs.BackendCache = inv;
        return inv;
    }

    public void PairGatherAdd(Tensor u, Tensor bias, PairIndex pairs, Tensor z)
    {
        int h = checked((int)bias.Length);
        ShapeCheck.PairRows("pair gather-add", pairs, u, 2 * h);
        ShapeCheck.Elements("pair gather-add", "output", z, (long)pairs.Count * h);
        float* pu = Ptr(u), pb = Ptr(bias), pz = Ptr(z);
        int[] left = pairs.Left, right = pairs.Right;
        _parallel.For(pairs.Count, (p0, p1, _) =>
        {
            for (long p = p0; p < p1; p++)
            {
                float* a = pu + (long)left[p] * 2 * h, b = pu + (long)right[p] * 2 * h + 1, dst = pz + p * h;
                for (int j = 0; j < h; j++)
                {
                    dst[j] = a[2 * j] + b[2 * j] + pb[j];
                }
            }
        }, 64);
    }

    public void PairScatterAdd(Tensor dz, PairIndex pairs, Tensor du, float beta)
    {
        int h = checked((int)(dz.Length / Math.Max(1, pairs.Count)));
        ShapeCheck.Elements("pair scatter-add", "dz", dz, (long)pairs.Count * h);
        int rows = ShapeCheck.PairRows("pair scatter-add", pairs, du, 2 * h);
        var inv = Inverse(pairs);
        float* pdz = Ptr(dz), pdu = Ptr(du);
        // One worker per range of feature rows: each row sums its own pairs, so no two workers write one row.
        _parallel.For(rows, (r0, r1, _) =>
        {
            var acc = new float[2 * h];
            for (long r = r0; r < r1; r++)
            {
                Array.Clear(acc);
                for (int side = 0; side < 2; side++)
                {
                    int[] start = side == 0 ? inv.LeftStart : inv.RightStart;
                    int[] list = side == 0 ? inv.LeftPairs : inv.RightPairs;
                    for (int k = start[r]; k < start[r + 1]; k++)
                    {
                        float* g = pdz + (long)list[k] * h;
                        for (int j = 0; j < h; j++)
                        {
                            acc[2 * j + side] += g[j];
                        }
                    }
                }
                float* dst = pdu + r * 2 * h;
                for (int j = 0; j < 2 * h; j++)
                {
                    Store(ref dst[j], acc[j], beta);
                }
            }
        }, 4);
    }

    public void PairCombine(Tensor f, PairIndex pairs, Aggregation agg, Tensor output)
    {
        int d = checked((int)(f.Length / Math.Max(1, pairs.K * pairs.M)));
        ShapeCheck.PairRows("pair combine", pairs, f, d);
        int width = agg == Aggregation.Cat ? 2 * d : d;
        ShapeCheck.Elements("pair combine", "output", output, (long)pairs.Count * width);
        float* pf = Ptr(f), po = Ptr(output);
        int[] left = pairs.Left, right = pairs.Right;
        _parallel.For(pairs.Count, (p0, p1, _) =>
        {
            for (long p = p0; p < p1; p++)
            {
                float* a = pf + (long)left[p] * d, b = pf + (long)right[p] * d, dst = po + p * width;
                for (int j = 0; j < d; j++)
                {
                    switch (agg)
                    {
                        case Aggregation.Cat:
                            dst[j] = a[j];
                            dst[d + j] = b[j];
                            break;
                        case Aggregation.Sum:
                            dst[j] = a[j] + b[j];
                            break;
                        case Aggregation.Mean:
                            dst[j] = 0.5f * (a[j] + b[j]);
                            break;
                        default:
                            dst[j] = MathF.Max(a[j], b[j]);
                            break;
                    }
                }
            }
        }, 64);
    }

    public void PairCombineBackward(Tensor f, Tensor dOut, PairIndex pairs, Aggregation agg, Tensor df, float beta)
    {
        int d = checked((int)(f.Length / Math.Max(1, pairs.K * pairs.M)));
        int rows = ShapeCheck.PairRows("pair combine backward", pairs, f, d);
        ShapeCheck.SameLength("pair combine backward", f, df);
        int width = agg == Aggregation.Cat ? 2 * d : d;
        ShapeCheck.Elements("pair combine backward", "dOut", dOut, (long)pairs.Count * width);
        var inv = Inverse(pairs);
        float* pf = Ptr(f), pg = Ptr(dOut), pdf = Ptr(df);
        int[] left = pairs.Left, right = pairs.Right;
        _parallel.For(rows, (r0, r1, _) =>
        {
            var acc = new float[d];
            for (long r = r0; r < r1; r++)
            {
                Array.Clear(acc);
                for (int side = 0; side < 2; side++)
                {
                    int[] start = side == 0 ? inv.LeftStart : inv.RightStart;
                    int[] list = side == 0 ? inv.LeftPairs : inv.RightPairs;
                    for (int k = start[r]; k < start[r + 1]; k++)
                    {
                        int p = list[k];
                        float* g = pg + (long)p * width;
                        float* other = pf + (long)(side == 0 ? right[p] : left[p]) * d;
                        float* self = pf + r * d;
                        for (int j = 0; j < d; j++)
                        {
                            acc[j] += agg switch
                            {
                                Aggregation.Cat => g[side * d + j],
                                Aggregation.Sum => g[j],
                                Aggregation.Mean => 0.5f * g[j],
                                // Max: the left wins ties, as in PairCombine's MathF.Max(a, b) choice of a.
                                _ => side == 0 ? (self[j] >= other[j] ? g[j] : 0f) : (self[j] > other[j] ? g[j] : 0f),
                            };
                        }
                    }
                }
                float* dst = pdf + r * d;
                for (int j = 0; j < d; j++)
                {
                    Store(ref dst[j], acc[j], beta);
                }
            }
        }, 4);
    }
}
