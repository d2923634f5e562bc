using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>
/// A <see cref="PairIndex"/> where the kernels can read it: the left/right row of each pair and, for the
/// backward passes, the pairs of each row as CSR lists (see <see cref="PairKernels.Invert"/>). All int32.
/// </summary>
internal readonly record struct DevicePairIndex(
    int Rows,
    int Count,
    DevicePtr Left,
    DevicePtr Right,
    DevicePtr LeftOffsets,
    DevicePtr LeftPairs,
    DevicePtr RightOffsets,
    DevicePtr RightPairs);

/// <summary>Launches kernels/pair.cu: the head's gather-add, pair combine, and their backward passes.</summary>
internal sealed class PairKernels(IKernelLauncher launcher)
{
    // pair_gather_add_kernel(int pairs, int hidden, const int* left, const int* right, const float* u,
    //                        const float* bias, float* z)
    internal static readonly KernelId GatherAddKernel =
        new("pair", "pair_gather_add_kernel", I32, I32, Ptr, Ptr, Ptr, Ptr, Ptr);

    // pair_scatter_add_kernel(int rows, int hidden, const int* leftOffsets, const int* leftPairs,
    //                         const int* rightOffsets, const int* rightPairs, const float* dz, float* du, float beta)
    internal static readonly KernelId ScatterAddKernel =
        new("pair", "pair_scatter_add_kernel", I32, I32, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, F32);

    // pair_combine_forward_kernel(int pairs, int dim, int agg, const int* left, const int* right, const float* f,
    //                             float* out)
    internal static readonly KernelId CombineForwardKernel =
        new("pair", "pair_combine_forward_kernel", I32, I32, I32, Ptr, Ptr, Ptr, Ptr);

    // pair_combine_backward_kernel(int rows, int dim, int agg, const int* left, const int* right,
    //     const int* leftOffsets, const int* leftPairs, const int* rightOffsets, const int* rightPairs,
    //     const float* f, const float* dOut, float* df, float beta)
    internal static readonly KernelId CombineBackwardKernel =
        new("pair", "pair_combine_backward_kernel", I32, I32, I32, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, F32);

    internal static IEnumerable<KernelId> All =>
        [GatherAddKernel, ScatterAddKernel, CombineForwardKernel, CombineBackwardKernel];

    /// <summary>
    /// The pairs of each row, in ascending pair order: pairs of row r are ids[offsets[r] .. offsets[r + 1]).
    /// Offsets have rows + 1 entries; every row id must be in [0, rows).
    /// </summary>
    internal static (int[] Offsets, int[] Ids) Invert(int[] rowOfPair, int rows)
    {
        var offsets = new int[rows + 1];
        foreach (int r in rowOfPair)
        {
            if ((uint)r >= (uint)rows)
            {
                throw new ArgumentException($"pair index: row {r} is outside the {rows} feature rows");
            }
            offsets[r + 1]++;
        }
        for (int r = 0; r < rows; r++)
        {
            offsets[r + 1] += offsets[r];
        }
        int[] next = (int[])offsets.Clone();
        var ids = new int[rowOfPair.Length];
        for (int p = 0; p < rowOfPair.Length; p++)
        {
            ids[next[rowOfPair[p]]++] = p;
        }
        return (offsets, ids);
    }

    /// <summary>z[p, h] = u[left[p], h, 0] + u[right[p], h, 1] + bias[h]; u [rows, H, 2], z [pairs, H].</summary>
    internal void GatherAdd(DevicePtr u, DevicePtr bias, DevicePairIndex pairs, int hidden, DevicePtr z)
    {
        long n = (long)pairs.Count * hidden;
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(pairs.Count);
        a.Int(hidden);
        a.Ptr(pairs.Left);
        a.Ptr(pairs.Right);
        a.Ptr(u);
        a.Ptr(bias);
        a.Ptr(z);
        launcher.Launch(GatherAddKernel, Grid(n, "pair gather-add"), Threads, ref a);
    }

    /// <summary>du[r, h, side] = sum of dz[p, h] over pairs whose left (side 0) / right (1) is r, + beta du.</summary>
    internal void ScatterAdd(DevicePtr dz, DevicePairIndex pairs, int hidden, DevicePtr du, float beta)
    {
        long n = (long)pairs.Rows * hidden * 2;
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(pairs.Rows);
        a.Int(hidden);
        a.Ptr(pairs.LeftOffsets);
        a.Ptr(pairs.LeftPairs);
        a.Ptr(pairs.RightOffsets);
        a.Ptr(pairs.RightPairs);
        a.Ptr(dz);
        a.Ptr(du);
        a.Float(beta);
        launcher.Launch(ScatterAddKernel, Grid(n, "pair scatter-add"), Threads, ref a);
    }

    /// <summary>output[p] = agg(f[left[p]], f[right[p]]); f [rows, dim], output [pairs, cat ? 2 dim : dim].</summary>
    internal void Combine(DevicePtr f, DevicePairIndex pairs, int dim, Aggregation agg, DevicePtr output)
    {
        long n = (long)pairs.Count * (agg == Aggregation.Cat ? 2 * dim : dim);
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(pairs.Count);
        a.Int(dim);
        a.Int((int)agg);
        a.Ptr(pairs.Left);
        a.Ptr(pairs.Right);
        a.Ptr(f);
        a.Ptr(output);
        launcher.Launch(CombineForwardKernel, Grid(n, "pair combine"), Threads, ref a);
    }

    /// <summary>df[r] = sum of the gradients row r gets from its pairs (max: left wins ties) + beta df.</summary>
    internal void CombineBackward(DevicePtr f, DevicePtr dOut, DevicePairIndex pairs, int dim, Aggregation agg,
        DevicePtr df, float beta)
    {
        long n = (long)pairs.Rows * dim;
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(pairs.Rows);
        a.Int(dim);
        a.Int((int)agg);
        a.Ptr(pairs.Left);
        a.Ptr(pairs.Right);
        a.Ptr(pairs.LeftOffsets);
        a.Ptr(pairs.LeftPairs);
        a.Ptr(pairs.RightOffsets);
        a.Ptr(pairs.RightPairs);
        a.Ptr(f);
        a.Ptr(dOut);
        a.Ptr(df);
        a.Float(beta);
        launcher.Launch(CombineBackwardKernel, Grid(n, "pair combine backward"), Threads, ref a);
    }
}
