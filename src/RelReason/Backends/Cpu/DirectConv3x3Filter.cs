using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RelReason.Backends.Cpu;

/// <summary>
/// Filter gradient of the direct 3x3 / stride 1 / pad 1 convolution: dw[co, ci, tap] += sum over images and
/// pixels of dy[n, co, p] * x[n, ci, p + tap]. Vectorised along pixels like the forward kernel: per pixel vector the
/// micro-kernel loads 3 dy vectors (three output channels) and the 9 shifted input vectors of one input channel and
/// issues 27 FMAs into 27 lane-wise accumulators (31 live registers: CPUs with AVX-512's 32), which are summed
/// across lanes once per call (a group of images), so a horizontal sum is paid per about a thousand pixels, not per
/// image of an 8x8 map. With 16 registers (AVX2 only) one row of taps is swept at a time: 9 accumulators.
/// <para>
/// Layouts: padded [B][Cin][layout.Plane] as in <see cref="DirectConvLayout.PadInto"/>; dy [B][Cout, H, Wd] with
/// Wd = <see cref="DirectConvLayout.DyWidth"/> and zero columns beyond W (lanes past the image edge must contribute
/// nothing; when Wd = W that is the tensor itself); dw [Cout, Cin, 9]. The order of every sum is fixed by the
/// shapes and the image grouping.
/// </para>
/// </summary>
internal static unsafe class DirectConv3x3Filter
{
    /// <summary>Copies dy [C, H, W] into [C, H, Wd] whose extra columns are already zero.</summary>
    internal static void WidenInto(DirectConvLayout layout, float* dy, int channels, float* wide)
    {
        int w = layout.Width, wd = layout.DyWidth;
        for (long r = 0; r < (long)channels * layout.Height; r++)
        {
            new ReadOnlySpan<float>(dy + r * w, w).CopyTo(new Span<float>(wide + r * wd, w));
        }
    }

    /// <summary>dw[co, ci, tap] += the sums over <paramref name="images"/> images (see the class
    /// comment).</summary>
    internal static void Accumulate(DirectConvLayout layout, DirectConvMode mode, float* padded, float* dy,
        int images, int inChannels, int outChannels, float* dw)
    {
        long padImage = layout.Plane * inChannels;
        long dyPlane = (long)layout.Height * layout.DyWidth, dyImage = dyPlane * outChannels;
        var sweep = new Sweep(layout);
        float* sums = stackalloc float[3 * 9];
        for (int co = 0; co < outChannels; co += 3)
        {
            // A short last block repeats its last channel and keeps only the distinct results.
            int co1 = Math.Min(co + 1, outChannels - 1), co2 = Math.Min(co + 2, outChannels - 1);
            for (int ci = 0; ci < inChannels; ci++)
            {
                var args = new Args(padded + ci * layout.Plane, padImage, dy + co * dyPlane, dy + co1 * dyPlane,
                    dy + co2 * dyPlane, dyImage, images, sweep);
                if (layout.Lanes == 16)
                {
                    Kernel<Simd512, Vector512<float>>(args, sums);
                }
                else if (mode == DirectConvMode.Avx2)
                {
                    // 16 registers: one row of taps per sweep (9 accumulators), three sweeps.
                    for (int kh = 0; kh < 3; kh++)
                    {
                        var row = new Args(args.X + kh * layout.RowStride, padImage, args.Dy0, args.Dy1, args.Dy2,
                            dyImage, images, sweep);
                        KernelRow<Simd256, Vector256<float>>(row, sums + kh * 3);
                    }
                }
                else
                {
                    Kernel<Simd256, Vector256<float>>(args, sums);
                }
                for (int j = 0; j < 3 && co + j < outChannels; j++)
                {
                    float* d = dw + ((long)(co + j) * inChannels + ci) * 9;
                    for (int t = 0; t < 9; t++)
                    {
                        d[t] += sums[j * 9 + t];
                    }
                }
            }
        }
    }

    /// <summary>One kernel call: input channel plane of image 0 and its image stride, the dy planes of the three
    /// output channels of image 0 and their image stride, the image count, and the layout's sweep.</summary>
    private readonly struct Args(float* x, long xImage, float* dy0, float* dy1, float* dy2, long dyImage,
        int images, Sweep sweep)
    {
        internal readonly float* X = x, Dy0 = dy0, Dy1 = dy1, Dy2 = dy2;
        internal readonly long XImage = xImage, DyImage = dyImage;
        internal readonly int Images = images;
        internal readonly Sweep Sweep = sweep;
    }

    /// <summary>The numbers a kernel's loops need, computed once from the layout, so that a kernel makes no call
    /// (NativeAOT does not inline the layout's computed properties, and every vector register is caller-saved:
    /// accumulators live across such a call were kept in memory, which halved the kernel's speed).</summary>
    private readonly struct Sweep(DirectConvLayout layout)
    {
        /// <summary>Row groups per image, pixel columns per row group, and the lanes a vector advances.</summary>
        internal readonly int Groups = layout.Height / layout.RowsPerVector, Width = layout.Width,
            Lanes = layout.Lanes;

        /// <summary>Input and dy offsets from one row group to the next; input offsets of taps (kh + 1, 0) and
        /// (0, kw + 1) from tap (kh, kw).</summary>
        internal readonly long InGroup = (long)layout.RowsPerVector * layout.RowStride,
            DyGroup = (long)layout.RowsPerVector * layout.DyWidth, Row = layout.RowStride, Column = layout.KwStride;
    }

    /// <summary>Taps (0, 0..2) only, relative to a.X, for 3 output channels: 9 accumulators, 13 live registers
    /// (fits AVX2's 16); sums[j * 9 + kw] receives channel j's tap kw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelRow<TWidth, TVec>(in Args a, float* sums)
        where TWidth : ISimdWidth<TVec> where TVec : struct
    {
        var sweep = a.Sweep;
        int groups = sweep.Groups, width = sweep.Width, lanes = sweep.Lanes;
        long inGroup = sweep.InGroup, dyGroup = sweep.DyGroup, k1 = sweep.Column, k2 = 2 * k1;
        var a0 = TWidth.Zero; var a1 = a0; var a2 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0;
        var c0 = a0; var c1 = a0; var c2 = a0;
        for (int n = 0; n < a.Images; n++)
        {
            float* xn = a.X + n * a.XImage;
            float* d0n = a.Dy0 + n * a.DyImage, d1n = a.Dy1 + n * a.DyImage, d2n = a.Dy2 + n * a.DyImage;
            for (int q = 0; q < groups; q++)
            {
                float* xr = xn + q * inGroup;
                float* e0 = d0n + q * dyGroup, e1 = d1n + q * dyGroup, e2 = d2n + q * dyGroup;
                for (int col = 0; col < width; col += lanes)
                {
                    var g0 = TWidth.Load(e0 + col);
                    var g1 = TWidth.Load(e1 + col);
                    var g2 = TWidth.Load(e2 + col);
                    float* p0 = xr + col;
                    var v = TWidth.Load(p0);
                    a0 = TWidth.MultiplyAdd(g0, v, a0); b0 = TWidth.MultiplyAdd(g1, v, b0);
                    c0 = TWidth.MultiplyAdd(g2, v, c0);
                    v = TWidth.Load(p0 + k1);
                    a1 = TWidth.MultiplyAdd(g0, v, a1); b1 = TWidth.MultiplyAdd(g1, v, b1);
                    c1 = TWidth.MultiplyAdd(g2, v, c1);
                    v = TWidth.Load(p0 + k2);
                    a2 = TWidth.MultiplyAdd(g0, v, a2); b2 = TWidth.MultiplyAdd(g1, v, b2);
                    c2 = TWidth.MultiplyAdd(g2, v, c2);
                }
            }
        }
        sums[0] = TWidth.Sum(a0); sums[1] = TWidth.Sum(a1); sums[2] = TWidth.Sum(a2);
        sums[9] = TWidth.Sum(b0); sums[10] = TWidth.Sum(b1); sums[11] = TWidth.Sum(b2);
        sums[18] = TWidth.Sum(c0); sums[19] = TWidth.Sum(c1); sums[20] = TWidth.Sum(c2);
    }

    /// <summary>All 9 taps for 3 output channels: 27 accumulators (needs AVX-512's 32 registers); sums[j * 9 + t]
    /// receives channel j's tap t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TWidth, TVec>(in Args a, float* sums)
        where TWidth : ISimdWidth<TVec> where TVec : struct
    {
        var sweep = a.Sweep;
        int groups = sweep.Groups, width = sweep.Width, lanes = sweep.Lanes;
        long inGroup = sweep.InGroup, dyGroup = sweep.DyGroup;
        long r1 = sweep.Row, r2 = 2 * r1, k1 = sweep.Column, k2 = 2 * k1;
        var a0 = TWidth.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0;
        var a5 = a0; var a6 = a0; var a7 = a0; var a8 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0;
        var b5 = a0; var b6 = a0; var b7 = a0; var b8 = a0;
        var c0 = a0; var c1 = a0; var c2 = a0; var c3 = a0; var c4 = a0;
        var c5 = a0; var c6 = a0; var c7 = a0; var c8 = a0;
        for (int n = 0; n < a.Images; n++)
        {
            float* xn = a.X + n * a.XImage;
            float* d0n = a.Dy0 + n * a.DyImage, d1n = a.Dy1 + n * a.DyImage, d2n = a.Dy2 + n * a.DyImage;
            for (int q = 0; q < groups; q++)
            {
                float* xr = xn + q * inGroup;
                float* e0 = d0n + q * dyGroup, e1 = d1n + q * dyGroup, e2 = d2n + q * dyGroup;
                for (int col = 0; col < width; col += lanes)
                {
                    var g0 = TWidth.Load(e0 + col);
                    var g1 = TWidth.Load(e1 + col);
                    var g2 = TWidth.Load(e2 + col);
                    float* p0 = xr + col, p1 = p0 + k1, p2 = p0 + k2;
                    var v = TWidth.Load(p0);
                    a0 = TWidth.MultiplyAdd(g0, v, a0); b0 = TWidth.MultiplyAdd(g1, v, b0);
                    c0 = TWidth.MultiplyAdd(g2, v, c0);
                    v = TWidth.Load(p1);
                    a1 = TWidth.MultiplyAdd(g0, v, a1); b1 = TWidth.MultiplyAdd(g1, v, b1);
                    c1 = TWidth.MultiplyAdd(g2, v, c1);
                    v = TWidth.Load(p2);
                    a2 = TWidth.MultiplyAdd(g0, v, a2); b2 = TWidth.MultiplyAdd(g1, v, b2);
                    c2 = TWidth.MultiplyAdd(g2, v, c2);
                    v = TWidth.Load(p0 + r1);
                    a3 = TWidth.MultiplyAdd(g0, v, a3); b3 = TWidth.MultiplyAdd(g1, v, b3);
                    c3 = TWidth.MultiplyAdd(g2, v, c3);
                    v = TWidth.Load(p1 + r1);
                    a4 = TWidth.MultiplyAdd(g0, v, a4); b4 = TWidth.MultiplyAdd(g1, v, b4);
                    c4 = TWidth.MultiplyAdd(g2, v, c4);
                    v = TWidth.Load(p2 + r1);
                    a5 = TWidth.MultiplyAdd(g0, v, a5); b5 = TWidth.MultiplyAdd(g1, v, b5);
                    c5 = TWidth.MultiplyAdd(g2, v, c5);
                    v = TWidth.Load(p0 + r2);
                    a6 = TWidth.MultiplyAdd(g0, v, a6); b6 = TWidth.MultiplyAdd(g1, v, b6);
                    c6 = TWidth.MultiplyAdd(g2, v, c6);
                    v = TWidth.Load(p1 + r2);
                    a7 = TWidth.MultiplyAdd(g0, v, a7); b7 = TWidth.MultiplyAdd(g1, v, b7);
                    c7 = TWidth.MultiplyAdd(g2, v, c7);
                    v = TWidth.Load(p2 + r2);
                    a8 = TWidth.MultiplyAdd(g0, v, a8); b8 = TWidth.MultiplyAdd(g1, v, b8);
                    c8 = TWidth.MultiplyAdd(g2, v, c8);
                }
            }
        }
        sums[0] = TWidth.Sum(a0); sums[1] = TWidth.Sum(a1); sums[2] = TWidth.Sum(a2);
        sums[3] = TWidth.Sum(a3); sums[4] = TWidth.Sum(a4); sums[5] = TWidth.Sum(a5);
        sums[6] = TWidth.Sum(a6); sums[7] = TWidth.Sum(a7); sums[8] = TWidth.Sum(a8);
        sums[9] = TWidth.Sum(b0); sums[10] = TWidth.Sum(b1); sums[11] = TWidth.Sum(b2);
        sums[12] = TWidth.Sum(b3); sums[13] = TWidth.Sum(b4); sums[14] = TWidth.Sum(b5);
        sums[15] = TWidth.Sum(b6); sums[16] = TWidth.Sum(b7); sums[17] = TWidth.Sum(b8);
        sums[18] = TWidth.Sum(c0); sums[19] = TWidth.Sum(c1); sums[20] = TWidth.Sum(c2);
        sums[21] = TWidth.Sum(c3); sums[22] = TWidth.Sum(c4); sums[23] = TWidth.Sum(c5);
        sums[24] = TWidth.Sum(c6); sums[25] = TWidth.Sum(c7); sums[26] = TWidth.Sum(c8);
    }
}
