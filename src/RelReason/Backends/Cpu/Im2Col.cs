namespace RelReason.Backends.Cpu;

/// <summary>
/// Unfolds one image [C, H, W] into columns [C*KH*KW, OH*OW] (row = input channel and kernel offset, column =
/// output pixel), so that a convolution is a GEMM; <see cref="Fold"/> is its adjoint (scatter-add). Rows are
/// <c>ld</c> floats apart, so several images can sit side by side in one column matrix [CKK, B*OH*OW] and share
/// one GEMM: a per-image product of 16 x 144 x 64 is too small for a GEMM kernel to run well.
/// </summary>
internal static unsafe class Im2Col
{
    internal static void Unfold(float* x, float* cols, ConvGeometry g) => Unfold(x, cols, g, g.OutHeight * g.OutWidth);

    internal static void Fold(float* cols, float* dx, ConvGeometry g) => Fold(cols, dx, g, g.OutHeight * g.OutWidth);

    internal static void Unfold(float* x, float* cols, ConvGeometry g, long ld)
    {
        int oh = g.OutHeight, ow = g.OutWidth, s = g.Stride, p = g.Pad;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = x + (long)c * g.Height * g.Width;
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    float* row = cols + ((long)(c * g.KernelH + kh) * g.KernelW + kw) * ld;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * s - p + kh;
                        float* dst = row + (long)y * ow;
                        if ((uint)iy >= (uint)g.Height)
                        {
                            new Span<float>(dst, ow).Clear();
                            continue;
                        }
                        float* src = plane + (long)iy * g.Width;
                        if (s == 1)
                        {
                            // Columns whose input lies inside the image form one contiguous run.
                            int x0 = Math.Max(0, p - kw), x1 = Math.Min(ow, g.Width + p - kw);
                            for (int xo = 0; xo < Math.Min(x0, ow); xo++)
                            {
                                dst[xo] = 0f;
                            }
                            if (x1 > x0)
                            {
                                new ReadOnlySpan<float>(src + x0 - p + kw, x1 - x0)
                                    .CopyTo(new Span<float>(dst + x0, x1 - x0));
                            }
                            for (int xo = Math.Max(x1, 0); xo < ow; xo++)
                            {
                                dst[xo] = 0f;
                            }
                        }
                        else
                        {
                            for (int xo = 0; xo < ow; xo++)
                            {
                                int ix = xo * s - p + kw;
                                dst[xo] = (uint)ix < (uint)g.Width ? src[ix] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Adds columns back into an image: dx[c, iy, ix] += cols[...] for every window covering it.</summary>
    internal static void Fold(float* cols, float* dx, ConvGeometry g, long ld)
    {
        int oh = g.OutHeight, ow = g.OutWidth, s = g.Stride, p = g.Pad;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = dx + (long)c * g.Height * g.Width;
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    float* row = cols + ((long)(c * g.KernelH + kh) * g.KernelW + kw) * ld;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * s - p + kh;
                        if ((uint)iy >= (uint)g.Height)
                        {
                            continue;
                        }
                        float* src = row + (long)y * ow;
                        float* dst = plane + (long)iy * g.Width;
                        if (s == 1)
                        {
                            // As in Unfold: the columns that land inside the image are one contiguous run.
                            int x0 = Math.Max(0, p - kw), x1 = Math.Min(ow, g.Width + p - kw);
                            if (x1 > x0)
                            {
                                var run = new Span<float>(dst + x0 - p + kw, x1 - x0);
                                System.Numerics.Tensors.TensorPrimitives.Add(run,
                                    new ReadOnlySpan<float>(src + x0, x1 - x0), run);
                            }
                            continue;
                        }
                        for (int xo = 0; xo < ow; xo++)
                        {
                            int ix = xo * s - p + kw;
                            if ((uint)ix < (uint)g.Width)
                            {
                                dst[ix] += src[xo];
                            }
                        }
                    }
                }
            }
        }
    }
}
