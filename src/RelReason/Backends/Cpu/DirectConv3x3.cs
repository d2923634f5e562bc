using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RelReason.Backends.Cpu;

/// <summary>
/// Direct 3x3 convolution, stride 1, padding 1, on one image at a time, vectorised along output pixels: a vector
/// is 8 horizontally adjacent output pixels of one channel, so results are stored straight into the NCHW layout.
/// The input image is first copied into a zero-bordered plane per channel ([C, H + 2, Wp], Wp = roundup(W, 8) + 2,
/// image at row 1, column 1), so every tap is an unaligned vector load with no edge tests.
/// <para>
/// Forward micro-kernel: 4 output channels x 4 pixel vectors (16 accumulators); per (input channel, tap) it loads
/// 4 input vectors, broadcasts 4 weights and issues 16 FMAs. Weights are packed per call into
/// [ceil(Cout/4)][Cin][9][4] (missing channels zero) so the 4 broadcasts read one 16-byte run. Backward data is the
/// same kernel with the weights flipped 180 degrees and Cin/Cout swapped (stride 1, pad 1 is its own adjoint
/// geometry). The summation order over (input channel, tap) is fixed, so results depend on the inputs only.
/// </para>
/// <para>
/// Precision: float32 FMAs, one rounding per (channel, tap) term, in a different order than im2col + GEMM, so the
/// two paths agree to a few float32 ulps times sqrt(Cin * 9) relative to the sum of |terms|.
/// </para>
/// </summary>
internal static unsafe class DirectConv3x3
{
    /// <summary>Output channels per micro-kernel block.</summary>
    internal const int BlockC = 4;

    /// <summary>Pixel vectors (of 8) per micro-kernel tile.</summary>
    private const int Tile = 4;

    private const int Lanes = 8;

    /// <summary>The CPU can run the kernels (AVX2 + FMA on 256-bit vectors).</summary>
    internal static bool HardwareSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The geometry is the one the kernels implement: 3x3, stride 1, padding 1 (output side = input
    /// side).</summary>
    internal static bool Applies(ConvGeometry g) =>
        g.KernelH == 3 && g.KernelW == 3 && g.Stride == 1 && g.Pad == 1 && g.Height > 0 && g.Width > 0;

    /// <summary>Row stride of a padded plane: room for the left border, roundup(W, 8) columns and the right
    /// border, so the last vector's rightmost tap (column roundup(W, 8) + 1) stays inside the row.</summary>
    internal static int PaddedWidth(int width) => RoundUp(width) + 2;

    /// <summary>Floats of one padded image [C, H + 2, Wp].</summary>
    internal static long PaddedLength(int channels, int height, int width) =>
        (long)channels * (height + 2) * PaddedWidth(width);

    /// <summary>Floats of a packed weight array for <paramref name="outChannels"/> x <paramref name="inChannels"/>.
    /// </summary>
    internal static long PackedLength(int outChannels, int inChannels) =>
        (long)Blocks(outChannels) * BlockC * inChannels * 9;

    internal static int Blocks(int channels) => (channels + BlockC - 1) / BlockC;

    /// <summary>
    /// Packs w [Cout, Cin, 3, 3] into [ceil(Cout/4)][Cin][9][4]. With <paramref name="adjoint"/> the result is the
    /// weight of the adjoint convolution, w'[ci, co, t] = w[co, ci, 8 - t] (Cin and Cout swapped, taps flipped),
    /// blocked over the original Cin.
    /// </summary>
    internal static void Pack(float* w, int outChannels, int inChannels, bool adjoint, float* packed)
    {
        int dst = adjoint ? inChannels : outChannels, src = adjoint ? outChannels : inChannels;
        new Span<float>(packed, checked((int)PackedLength(dst, src))).Clear();
        for (int o = 0; o < dst; o++)
        {
            float* block = packed + (long)(o / BlockC) * src * 9 * BlockC + o % BlockC;
            for (int i = 0; i < src; i++)
            {
                for (int t = 0; t < 9; t++)
                {
                    float v = adjoint ? w[((long)i * inChannels + o) * 9 + 8 - t] : w[((long)o * inChannels + i) * 9 + t];
                    block[((long)i * 9 + t) * BlockC] = v;
                }
            }
        }
    }

    /// <summary>Copies one image [C, H, W] into the interior of a padded image whose borders are already
    /// zero (they are never written, so one clear per buffer suffices).</summary>
    internal static void PadInto(float* x, int channels, int height, int width, float* padded)
    {
        int wp = PaddedWidth(width);
        for (int c = 0; c < channels; c++)
        {
            float* dst = padded + (long)c * (height + 2) * wp + wp + 1;
            float* src = x + (long)c * height * width;
            for (int y = 0; y < height; y++)
            {
                new ReadOnlySpan<float>(src + (long)y * width, width).CopyTo(new Span<float>(dst + (long)y * wp, width));
            }
        }
    }

    /// <summary>
    /// y[co] = beta * y[co] + sum over ci, taps of packed[co, ci, tap] * padded[ci] shifted, for one image:
    /// padded [Cin, H + 2, Wp] (see <see cref="PadInto"/>), packed from <see cref="Pack"/>, y [Cout, H, W].
    /// </summary>
    internal static void Convolve(float* padded, int inChannels, int height, int width, float* packed,
        int outChannels, float* y, float beta)
    {
        int wp = PaddedWidth(width), perRow = RoundUp(width) / Lanes, vectors = height * perRow;
        long plane = (long)(height + 2) * wp, outPlane = (long)height * width;
        int* inOff = stackalloc int[Tile];
        int* outOff = stackalloc int[Tile];
        int* valid = stackalloc int[Tile];
        for (int b = 0; b < Blocks(outChannels); b++)
        {
            float* wBlock = packed + (long)b * inChannels * 9 * BlockC;
            int channels = Math.Min(BlockC, outChannels - b * BlockC);
            float* yBlock = y + (long)b * BlockC * outPlane;
            for (int v0 = 0; v0 < vectors; v0 += Tile)
            {
                // A short last tile repeats its last vector (computed, never stored) so the kernel stays 4 wide.
                for (int t = 0; t < Tile; t++)
                {
                    int v = Math.Min(v0 + t, vectors - 1);
                    int row = v / perRow, col = v % perRow * Lanes;
                    inOff[t] = row * wp + col;
                    outOff[t] = row * width + col;
                    valid[t] = v0 + t < vectors ? Math.Min(Lanes, width - col) : 0;
                }
                Kernel(padded, plane, wp, inChannels, wBlock, inOff, yBlock, outPlane, outOff, valid, channels, beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* padded, long plane, int wp, int inChannels, float* w, int* inOff,
        float* y, long outPlane, int* outOff, int* valid, int channels, float beta)
    {
        var a00 = Vector256<float>.Zero; var a01 = a00; var a02 = a00; var a03 = a00;
        var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
        var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00;
        var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00;
        float* p0 = padded + inOff[0], p1 = padded + inOff[1], p2 = padded + inOff[2], p3 = padded + inOff[3];
        int* taps = stackalloc int[9];
        for (int t = 0; t < 9; t++)
        {
            taps[t] = t / 3 * wp + t % 3;
        }
        for (int ci = 0; ci < inChannels; ci++)
        {
            long cOff = ci * plane;
            for (int t = 0; t < 9; t++, w += BlockC)
            {
                long off = cOff + taps[t];
                var x0 = Avx.LoadVector256(p0 + off);
                var x1 = Avx.LoadVector256(p1 + off);
                var x2 = Avx.LoadVector256(p2 + off);
                var x3 = Avx.LoadVector256(p3 + off);
                var b = Vector256.Create(w[0]);
                a00 = Fma.MultiplyAdd(b, x0, a00); a01 = Fma.MultiplyAdd(b, x1, a01);
                a02 = Fma.MultiplyAdd(b, x2, a02); a03 = Fma.MultiplyAdd(b, x3, a03);
                b = Vector256.Create(w[1]);
                a10 = Fma.MultiplyAdd(b, x0, a10); a11 = Fma.MultiplyAdd(b, x1, a11);
                a12 = Fma.MultiplyAdd(b, x2, a12); a13 = Fma.MultiplyAdd(b, x3, a13);
                b = Vector256.Create(w[2]);
                a20 = Fma.MultiplyAdd(b, x0, a20); a21 = Fma.MultiplyAdd(b, x1, a21);
                a22 = Fma.MultiplyAdd(b, x2, a22); a23 = Fma.MultiplyAdd(b, x3, a23);
                b = Vector256.Create(w[3]);
                a30 = Fma.MultiplyAdd(b, x0, a30); a31 = Fma.MultiplyAdd(b, x1, a31);
                a32 = Fma.MultiplyAdd(b, x2, a32); a33 = Fma.MultiplyAdd(b, x3, a33);
            }
        }
        Store(y, outOff, valid, beta, a00, a01, a02, a03);
        if (channels > 1)
        {
            Store(y + outPlane, outOff, valid, beta, a10, a11, a12, a13);
        }
        if (channels > 2)
        {
            Store(y + 2 * outPlane, outOff, valid, beta, a20, a21, a22, a23);
        }
        if (channels > 3)
        {
            Store(y + 3 * outPlane, outOff, valid, beta, a30, a31, a32, a33);
        }
    }

    private static void Store(float* y, int* outOff, int* valid, float beta, Vector256<float> v0,
        Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        Store(y + outOff[0], valid[0], beta, v0);
        Store(y + outOff[1], valid[1], beta, v1);
        Store(y + outOff[2], valid[2], beta, v2);
        Store(y + outOff[3], valid[3], beta, v3);
    }

    /// <summary>dst[0..count) = v + beta * dst (the backend's beta convention; beta 0 never reads dst).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, int count, float beta, Vector256<float> v)
    {
        if (count == Lanes)
        {
            if (beta == 0f)
            {
                Avx.Store(dst, v);
            }
            else
            {
                Avx.Store(dst, beta == 1f ? Avx.Add(v, Avx.LoadVector256(dst)) :
                    Avx.Add(v, Avx.Multiply(Vector256.Create(beta), Avx.LoadVector256(dst))));
            }
            return;
        }
        for (int i = 0; i < count; i++)
        {
            dst[i] = beta == 0f ? v.GetElement(i) : v.GetElement(i) + beta * dst[i];
        }
    }

    private static int RoundUp(int width) => (width + Lanes - 1) / Lanes * Lanes;
}
