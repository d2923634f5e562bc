namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // The direct 3x3 / stride 1 / pad 1 path (DirectConv3x3, DirectConv3x3Filter). Images are split over workers
    // exactly as in the im2col path; each worker pads its images into its own buffer, so results depend only on
    // the shapes and the thread count (the filter gradient sums per-worker partials in worker order).

    /// <summary>Whether 3x3 / stride 1 / pad 1 convolutions take the direct path when the CPU has AVX2 + FMA.
    /// Off sends every convolution through im2col + GEMM (tests compare the two).</summary>
    internal bool DirectConvEnabled { get; set; } = true;

    /// <summary>The register shapes of the direct path: the best the CPU supports unless set lower (tests run every
    /// mode); a mode above <see cref="DirectConvModes.Best"/> falls back to it.</summary>
    internal DirectConvMode DirectConvMode
    {
        get => (DirectConvMode)Math.Min((int)_directConvMode, (int)DirectConvModes.Best);
        set => _directConvMode = value;
    }

    private DirectConvMode _directConvMode = DirectConvModes.Best;

    /// <summary>Sends every 3x3 / stride 1 / pad 1 shape through the direct path, including those where im2col is
    /// faster (<see cref="DirectConv3x3.Faster"/>), so tests can check the kernels on every shape.</summary>
    internal bool DirectConvEverywhere { get; set; }

    /// <summary>Which kernels convolutions take on this CPU, in one line (for <c>relreason info</c>).</summary>
    public static string DescribeConvolution()
    {
        if (!DirectConv3x3.HardwareSupported)
        {
            return "im2col + OpenBLAS for every shape (the direct 3x3 kernel needs AVX2 + FMA)";
        }
        var best = DirectConvModes.Best;
        string maps = best == DirectConvMode.Avx512 ? "maps 8 or more pixels wide" : "maps a multiple of 8 pixels wide";
        string direct = $"{DirectConvModes.Registers(best)}, {maps}";
        return $"3x3 stride 1: direct kernel, {direct}; other shapes: im2col + OpenBLAS";
    }

    private bool UsesDirectConv(ConvGeometry g) =>
        DirectConvEnabled && DirectConv3x3.HardwareSupported && DirectConv3x3.Applies(g) &&
        (DirectConvEverywhere || DirectConv3x3.Faster(g, DirectConvMode));

    /// <summary>y = conv(x, w) for one 3x3 / s1 / p1 geometry.</summary>
    private void DirectConvForward(float* px, float* pw, float* py, ConvGeometry g)
    {
        using var packed = Pool.Rent(DirectConv3x3.PackedLength(g.OutChannels, g.InChannels));
        DirectConv3x3.Pack(pw, g.OutChannels, g.InChannels, adjoint: false, packed.Pointer);
        RunDirect(px, g.InChannels, packed.Pointer, py, g.OutChannels, g, 0f);
    }

    /// <summary>dx = beta * dx + conv(dy, w flipped, channels swapped): the adjoint of a stride-1, pad-1 3x3
    /// convolution is one of the same geometry.</summary>
    private void DirectConvBackwardData(float* pdy, float* pw, float* pdx, ConvGeometry g, float beta)
    {
        using var packed = Pool.Rent(DirectConv3x3.PackedLength(g.InChannels, g.OutChannels));
        DirectConv3x3.Pack(pw, g.OutChannels, g.InChannels, adjoint: true, packed.Pointer);
        RunDirect(pdy, g.OutChannels, packed.Pointer, pdx, g.InChannels, g, beta);
    }

    private void RunDirect(float* src, int srcChannels, float* packed, float* dst, int dstChannels, ConvGeometry g,
        float beta)
    {
        int h = g.Height, w = g.Width;
        long srcImage = (long)srcChannels * h * w, dstImage = (long)dstChannels * h * w;
        var mode = DirectConvMode;
        var layout = DirectConvLayout.For(h, w, mode == DirectConvMode.Avx512);
        long padLength = layout.Plane * srcChannels;
        _parallel.For(g.N, (n0, n1, _) =>
        {
            using var padded = Pool.Rent(padLength);
            padded.Span.Clear();
            for (long n = n0; n < n1; n++)
            {
                layout.PadInto(src + n * srcImage, srcChannels, padded.Pointer);
                DirectConv3x3.Convolve(layout, mode, padded.Pointer, srcChannels, packed, dstChannels,
                    dst + n * dstImage, beta);
            }
        });
    }

    /// <summary>dw = beta * dw + sum over images of the 3x3 correlations of x and dy.</summary>
    private void DirectConvBackwardFilter(float* px, float* pdy, float* pdw, ConvGeometry g, float beta)
    {
        int h = g.Height, w = g.Width, cin = g.InChannels, cout = g.OutChannels;
        long inImage = (long)cin * h * w, outImage = (long)cout * h * w, wLen = (long)cout * cin * 9;
        var mode = DirectConvMode;
        var layout = DirectConvLayout.For(h, w, mode == DirectConvMode.Avx512);
        long padImage = layout.Plane * cin, wideImage = (long)cout * h * layout.DyWidth;
        bool widen = layout.DyWidth != w;
        // Images per kernel call: up to 4,096 pixels between horizontal sums, with the group's padded input at
        // most 1 MiB so it stays in L2 while the kernel sweeps it once per output channel triple.
        int group = Math.Max(1, Math.Min(4096 / (h * w), (int)((1 << 18) / padImage)));
        SumOverImages(g.N, wLen, pdw, beta, (n0, n1, acc) =>
        {
            new Span<float>(acc, checked((int)wLen)).Clear();
            int chunk = (int)Math.Min(group, n1 - n0);
            using var padded = Pool.Rent(padImage * chunk);
            using var wide = Pool.Rent(widen ? wideImage * chunk : 1);
            padded.Span.Clear();
            wide.Span.Clear();
            for (long b0 = n0; b0 < n1; b0 += group)
            {
                int nb = (int)Math.Min(group, n1 - b0);
                for (int i = 0; i < nb; i++)
                {
                    layout.PadInto(px + (b0 + i) * inImage, cin, padded.Pointer + i * padImage);
                    if (widen)
                    {
                        DirectConv3x3Filter.WidenInto(layout, pdy + (b0 + i) * outImage, cout,
                            wide.Pointer + i * wideImage);
                    }
                }
                float* dy = widen ? wide.Pointer : pdy + b0 * outImage;
                DirectConv3x3Filter.Accumulate(layout, mode, padded.Pointer, dy, nb, cin, cout, acc);
            }
        });
    }
}
