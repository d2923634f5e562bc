using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RelReason.Backends.Cpu;

/// <summary>
/// Filter gradient of the direct 3x3 / stride 1 / pad 1 convolution: dw[co, ci, tap] += sum over images and
/// pixels of dy[n, co, p] * x[n, ci, p + tap]. Vectorised along pixels like the forward kernel: per pixel vector the
/// micro-kernel loads 2 dy vectors (two output channels) and the 9 shifted input vectors of one input channel and
/// issues 18 FMAs into 18 lane-wise accumulators, which are summed across lanes once per call (a group of images),
/// so a horizontal sum is paid per few hundred pixels, not per image of an 8x8 map.
/// <para>
/// Layouts: padded [B][Cin, H + 2, Wp] as in <see cref="DirectConv3x3.PadInto"/>; dy [B][Cout, H, Wd] with
/// Wd = roundup(W, 8) and zero columns beyond W (lanes past the image edge must contribute nothing; when W is a
/// multiple of 8 that is the tensor itself); dw [Cout, Cin, 9]. The order of every sum is fixed by the shapes.
/// </para>
/// </summary>
internal static unsafe class DirectConv3x3Filter
{
    private const int Lanes = 8;

    /// <summary>Row stride of a dy plane as the kernel reads it.</summary>
    internal static int DyWidth(int width) => (width + Lanes - 1) / Lanes * Lanes;

    /// <summary>Copies dy [C, H, W] into [C, H, roundup(W, 8)] whose extra columns are already zero.</summary>
    internal static void WidenInto(float* dy, int channels, int height, int width, float* wide)
    {
        int wd = DyWidth(width);
        for (long r = 0; r < (long)channels * height; r++)
        {
            new ReadOnlySpan<float>(dy + r * width, width).CopyTo(new Span<float>(wide + r * wd, width));
        }
    }

    /// <summary>dw[co, ci, tap] += the sums over <paramref name="images"/> images (see the class
    /// comment).</summary>
    internal static void Accumulate(float* padded, float* dy, int images, int inChannels, int outChannels,
        int height, int width, float* dw)
    {
        int wp = DirectConv3x3.PaddedWidth(width), wd = DyWidth(width);
        long plane = (long)(height + 2) * wp, padImage = plane * inChannels;
        long dyPlane = (long)height * wd, dyImage = dyPlane * outChannels;
        float* sums = stackalloc float[18];
        for (int co = 0; co < outChannels; co += 2)
        {
            // An odd last channel runs the pair kernel with itself as the partner and keeps half the result.
            int co1 = Math.Min(co + 1, outChannels - 1);
            for (int ci = 0; ci < inChannels; ci++)
            {
                Kernel(padded + ci * plane, padImage, dy + co * dyPlane, dy + co1 * dyPlane, dyImage, images,
                    height, width, wp, wd, sums);
                float* d0 = dw + ((long)co * inChannels + ci) * 9;
                float* d1 = dw + ((long)co1 * inChannels + ci) * 9;
                for (int t = 0; t < 9; t++)
                {
                    d0[t] += sums[t];
                }
                if (co1 != co)
                {
                    for (int t = 0; t < 9; t++)
                    {
                        d1[t] += sums[9 + t];
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* x, long xImage, float* dy0, float* dy1, long dyImage, int images, int height,
        int width, int wp, int wd, float* sums)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0;
        var a5 = a0; var a6 = a0; var a7 = a0; var a8 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0;
        var b5 = a0; var b6 = a0; var b7 = a0; var b8 = a0;
        for (int n = 0; n < images; n++)
        {
            float* xn = x + n * xImage;
            float* d0n = dy0 + n * dyImage, d1n = dy1 + n * dyImage;
            for (int row = 0; row < height; row++)
            {
                float* xr = xn + (long)row * wp;
                float* e0 = d0n + (long)row * wd, e1 = d1n + (long)row * wd;
                for (int col = 0; col < width; col += Lanes)
                {
                    var g0 = Avx.LoadVector256(e0 + col);
                    var g1 = Avx.LoadVector256(e1 + col);
                    float* p = xr + col;
                    var v = Avx.LoadVector256(p);
                    a0 = Fma.MultiplyAdd(g0, v, a0); b0 = Fma.MultiplyAdd(g1, v, b0);
                    v = Avx.LoadVector256(p + 1);
                    a1 = Fma.MultiplyAdd(g0, v, a1); b1 = Fma.MultiplyAdd(g1, v, b1);
                    v = Avx.LoadVector256(p + 2);
                    a2 = Fma.MultiplyAdd(g0, v, a2); b2 = Fma.MultiplyAdd(g1, v, b2);
                    p += wp;
                    v = Avx.LoadVector256(p);
                    a3 = Fma.MultiplyAdd(g0, v, a3); b3 = Fma.MultiplyAdd(g1, v, b3);
                    v = Avx.LoadVector256(p + 1);
                    a4 = Fma.MultiplyAdd(g0, v, a4); b4 = Fma.MultiplyAdd(g1, v, b4);
                    v = Avx.LoadVector256(p + 2);
                    a5 = Fma.MultiplyAdd(g0, v, a5); b5 = Fma.MultiplyAdd(g1, v, b5);
                    p += wp;
                    v = Avx.LoadVector256(p);
                    a6 = Fma.MultiplyAdd(g0, v, a6); b6 = Fma.MultiplyAdd(g1, v, b6);
                    v = Avx.LoadVector256(p + 1);
                    a7 = Fma.MultiplyAdd(g0, v, a7); b7 = Fma.MultiplyAdd(g1, v, b7);
                    v = Avx.LoadVector256(p + 2);
                    a8 = Fma.MultiplyAdd(g0, v, a8); b8 = Fma.MultiplyAdd(g1, v, b8);
                }
            }
        }
        sums[0] = Vector256.Sum(a0); sums[1] = Vector256.Sum(a1); sums[2] = Vector256.Sum(a2);
        sums[3] = Vector256.Sum(a3); sums[4] = Vector256.Sum(a4); sums[5] = Vector256.Sum(a5);
        sums[6] = Vector256.Sum(a6); sums[7] = Vector256.Sum(a7); sums[8] = Vector256.Sum(a8);
        sums[9] = Vector256.Sum(b0); sums[10] = Vector256.Sum(b1); sums[11] = Vector256.Sum(b2);
        sums[12] = Vector256.Sum(b3); sums[13] = Vector256.Sum(b4); sums[14] = Vector256.Sum(b5);
        sums[15] = Vector256.Sum(b6); sums[16] = Vector256.Sum(b7); sums[17] = Vector256.Sum(b8);
    }
}
