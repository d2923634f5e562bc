using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RelReason.Backends.Cpu;

/// <summary>
/// Direct 3x3 convolution, stride 1, padding 1, on one image at a time, vectorised along output pixels: a vector
/// holds 8 or 16 output pixels of one channel, so results are stored straight into the NCHW layout. The input
/// image is first copied into a zero-bordered layout (<see cref="DirectConvLayout"/>), so every tap is an
/// unaligned vector load with no edge tests.
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
internal static unsafe partial class DirectConv3x3
{
    /// <summary>Output channels per micro-kernel block.</summary>
    internal const int BlockC = 4;

    /// <summary>Pixel vectors per micro-kernel tile with 32 vector registers (16 registers: 2).</summary>
    private const int Tile = 4;

    /// <summary>The CPU can run the kernels (AVX2 + FMA on 256-bit vectors; 512-bit ones are optional).</summary>
    internal static bool HardwareSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The geometry is the one the kernels implement: 3x3, stride 1, padding 1 (output side = input
    /// side).</summary>
    internal static bool Applies(ConvGeometry g) =>
        g.KernelH == 3 && g.KernelW == 3 && g.Stride == 1 && g.Pad == 1 && g.Height > 0 && g.Width > 0;

    /// <summary>
    /// Whether the direct path beats im2col + GEMM for this map width (measured, single thread, on the CIFAR and
    /// ImageNet ResNet shapes): with 512-bit vectors from W = 8 up (8x8 stacked, wider maps in 16-lane rows);
    /// with 256-bit vectors only when W is a multiple of 8. Narrower maps waste most vector lanes (a 4x4 map at
    /// 256 channels runs at half the speed of im2col, 2x2 at a seventh) and non-multiples of 8 on 256-bit vectors
    /// win or lose by shape (12x12 at 128 channels loses a third), so they stay on im2col.
    /// </summary>
    internal static bool Faster(ConvGeometry g, DirectConvMode mode) =>
        mode == DirectConvMode.Avx512 ? g.Width >= 8 : g.Width % 8 == 0;

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
                    block[((long)i * 9 + t) * BlockC] = adjoint
                        ? w[((long)i * inChannels + o) * 9 + 8 - t]
                        : w[((long)o * inChannels + i) * 9 + t];
                }
            }
        }
    }

    /// <summary>
    /// y[co] = beta * y[co] + sum over ci, taps of packed[co, ci, tap] * padded[ci] shifted, for one image:
    /// padded [Cin][layout.Plane] (see <see cref="DirectConvLayout.PadInto"/>), packed from <see cref="Pack"/>,
    /// y [Cout, H, W].
    /// </summary>
    internal static void Convolve(DirectConvLayout layout, DirectConvMode mode, float* padded, int inChannels,
        float* packed, int outChannels, float* y, float beta)
    {
        int vectors = layout.Vectors, tile = mode == DirectConvMode.Avx2 ? 2 : Tile;
        long outPlane = (long)layout.Height * layout.Width;
        int* inOff = stackalloc int[Tile];
        int* outOff = stackalloc int[Tile];
        int* valid = stackalloc int[Tile];
        int* taps = stackalloc int[9];
        for (int t = 0; t < 9; t++)
        {
            taps[t] = checked((int)(t / 3 * layout.RowStride + t % 3 * layout.KwStride));
        }
        for (int b = 0; b < Blocks(outChannels); b++)
        {
            float* wBlock = packed + (long)b * inChannels * 9 * BlockC;
            int channels = Math.Min(BlockC, outChannels - b * BlockC);
            float* yBlock = y + (long)b * BlockC * outPlane;
            for (int v0 = 0; v0 < vectors; v0 += tile)
            {
                // A short last tile repeats its last vector (computed, never stored) so the kernel keeps its width.
                for (int t = 0; t < tile; t++)
                {
                    var (input, output, count) = layout.Vector(Math.Min(v0 + t, vectors - 1));
                    inOff[t] = input;
                    outOff[t] = output;
                    valid[t] = v0 + t < vectors ? count : 0;
                }
                if (layout.Lanes == 16)
                {
                    Kernel<Simd512, Vector512<float>>(padded, layout.Plane, taps, inChannels, wBlock, inOff, yBlock,
                        outPlane, outOff, valid, channels, beta);
                }
                else if (tile == 2)
                {
                    KernelPair<Simd256, Vector256<float>>(padded, layout.Plane, taps, inChannels, wBlock, inOff,
                        yBlock, outPlane, outOff, valid, channels, beta);
                }
                else
                {
                    Kernel<Simd256, Vector256<float>>(padded, layout.Plane, taps, inChannels, wBlock, inOff, yBlock,
                        outPlane, outOff, valid, channels, beta);
                }
            }
        }
    }
}

/// <summary>Which register shapes the direct convolution uses; <see cref="Best"/> picks the widest the CPU and the
/// runtime support, the others exist so that tests can run every kernel on one machine.</summary>
internal enum DirectConvMode
{
    /// <summary>256-bit vectors, 16 registers (AVX2 + FMA without AVX-512): smaller register tiles.</summary>
    Avx2,

    /// <summary>256-bit vectors, 32 registers: AVX-512 CPUs on which the runtime does not report 512-bit vectors as
    /// fast.</summary>
    Avx512Narrow,

    /// <summary>512-bit vectors where the map width allows (<see cref="DirectConvLayout"/>), else as
    /// <see cref="Avx512Narrow"/>.</summary>
    Avx512,
}

internal static class DirectConvModes
{
    /// <summary>The registers a mode computes in, as logs and <c>relreason info</c> name them.</summary>
    internal static string Registers(DirectConvMode mode) => mode switch
    {
        DirectConvMode.Avx512 => "512-bit registers",
        DirectConvMode.Avx512Narrow => "256-bit registers (32 of them)",
        _ => "256-bit registers (16 of them)",
    };

    /// <summary>The widest mode this process can run.</summary>
    internal static DirectConvMode Best => DirectConvLayout.Wide ? DirectConvMode.Avx512
        : System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? DirectConvMode.Avx512Narrow : DirectConvMode.Avx2;
}
