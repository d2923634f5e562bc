using System.Numerics;
using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Convolution as im2col + GEMM over groups of B images: the columns of B images side by side form one
    // [CKK, B*P] matrix (P = OH*OW output pixels), so one GEMM covers B images. Images are split over workers; each
    // worker owns its column and output buffers for its whole range. Results depend on B only through summation
    // order inside the filter gradient, and B depends only on the shape, so they are repeatable.

    /// <summary>Images per GEMM: about 4,096 output pixels, and a column buffer of at most 4 MiB.</summary>
    internal static int ImagesPerGemm(ConvGeometry g)
    {
        int pixels = g.OutHeight * g.OutWidth;
        int ckk = g.InChannels * g.KernelH * g.KernelW;
        int byPixels = Math.Max(1, 4096 / pixels);
        int byMemory = Math.Max(1, (1 << 20) / Math.Max(1, ckk * pixels));
        return Math.Min(byPixels, byMemory);
    }

    public void ConvForward(Tensor x, Tensor w, Tensor y, ConvGeometry g)
    {
        ShapeCheck.Conv("conv forward", g, x, w, y);
        float* px = Ptr(x), pw = Ptr(w), py = Ptr(y);
        if (UsesDirectConv(g))
        {
            DirectConvForward(px, pw, py, g);
            return;
        }
        int ckk = g.InChannels * g.KernelH * g.KernelW, pixels = g.OutHeight * g.OutWidth;
        long inImage = (long)g.InChannels * g.Height * g.Width, outImage = (long)g.OutChannels * pixels;
        int group = ImagesPerGemm(g);
        _parallel.For(g.N, (n0, n1, _) =>
        {
            using var cols = Pool.Rent((long)ckk * pixels * group);
            using var outs = Pool.Rent(outImage * group);
            for (long b0 = n0; b0 < n1; b0 += group)
            {
                int nb = (int)Math.Min(group, n1 - b0);
                long ld = (long)nb * pixels;
                for (int i = 0; i < nb; i++)
                {
                    Im2Col.Unfold(px + (b0 + i) * inImage, cols.Pointer + i * pixels, g, ld);
                }
                // out [Cout, nb*P] = W [Cout, CKK] x cols [CKK, nb*P], then each image's block goes to y[n].
                OpenBlas1(false, false, g.OutChannels, (int)ld, ckk, 1f, pw, cols.Pointer, 0f, outs.Pointer);
                Scatter(outs.Pointer, py + b0 * outImage, g.OutChannels, nb, pixels);
            }
        });
    }

    public void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, float beta)
    {
        ShapeCheck.Conv("conv backward data", g, dx, w, dy);
        float* pdy = Ptr(dy), pw = Ptr(w), pdx = Ptr(dx);
        if (UsesDirectConv(g))
        {
            DirectConvBackwardData(pdy, pw, pdx, g, beta);
            return;
        }
        int ckk = g.InChannels * g.KernelH * g.KernelW, pixels = g.OutHeight * g.OutWidth;
        long inImage = (long)g.InChannels * g.Height * g.Width, outImage = (long)g.OutChannels * pixels;
        int group = ImagesPerGemm(g);
        _parallel.For(g.N, (n0, n1, _) =>
        {
            using var cols = Pool.Rent((long)ckk * pixels * group);
            using var grads = Pool.Rent(outImage * group);
            for (long b0 = n0; b0 < n1; b0 += group)
            {
                int nb = (int)Math.Min(group, n1 - b0);
                long ld = (long)nb * pixels;
                Gather(pdy + b0 * outImage, grads.Pointer, g.OutChannels, nb, pixels);
                // dcols [CKK, nb*P] = W^T [CKK, Cout] x dy [Cout, nb*P], then fold (adjoint of unfold) per image.
                OpenBlas1(true, false, ckk, (int)ld, g.OutChannels, 1f, pw, grads.Pointer, 0f, cols.Pointer);
                for (int i = 0; i < nb; i++)
                {
                    float* image = pdx + (b0 + i) * inImage;
                    ScalePlane(image, checked((int)inImage), beta);
                    Im2Col.Fold(cols.Pointer + i * pixels, image, g, ld);
                }
            }
        });
    }

    public void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, ConvGeometry g, float beta)
    {
        ShapeCheck.Conv("conv backward filter", g, x, dw, dy);
        float* px = Ptr(x), pdy = Ptr(dy);
        if (UsesDirectConv(g))
        {
            DirectConvBackwardFilter(px, pdy, Ptr(dw), g, beta);
            return;
        }
        int ckk = g.InChannels * g.KernelH * g.KernelW, pixels = g.OutHeight * g.OutWidth;
        long inImage = (long)g.InChannels * g.Height * g.Width, outImage = (long)g.OutChannels * pixels;
        long wLen = (long)g.OutChannels * ckk;
        int group = ImagesPerGemm(g);
        SumOverImages(g.N, wLen, Ptr(dw), beta, (n0, n1, acc) =>
        {
            using var cols = Pool.Rent((long)ckk * pixels * group);
            using var grads = Pool.Rent(outImage * group);
            for (long b0 = n0; b0 < n1; b0 += group)
            {
                int nb = (int)Math.Min(group, n1 - b0);
                long ld = (long)nb * pixels;
                for (int i = 0; i < nb; i++)
                {
                    Im2Col.Unfold(px + (b0 + i) * inImage, cols.Pointer + i * pixels, g, ld);
                }
                Gather(pdy + b0 * outImage, grads.Pointer, g.OutChannels, nb, pixels);
                // dW [Cout, CKK] (+)= dy [Cout, nb*P] x cols^T [nb*P, CKK]
                OpenBlas1(false, true, g.OutChannels, ckk, (int)ld, 1f, grads.Pointer, cols.Pointer,
                    b0 == n0 ? 0f : 1f, acc);
            }
        });
    }

    /// <summary>Accumulates images [n0, n1) into acc, a worker's own buffer (not cleared beforehand).</summary>
    private delegate void ImageRangeSum(long n0, long n1, float* acc);

    /// <summary>dst = beta * dst + the sum over workers of their partials: each worker sums its contiguous range
    /// of the n images into a buffer of <paramref name="length"/> floats, and the partials are added in worker
    /// order, so the result depends only on the shapes and the thread count.</summary>
    private void SumOverImages(long n, long length, float* dst, float beta, ImageRangeSum body)
    {
        int workers = _parallel.Workers(n);
        var partials = new CpuStorage[workers];
        try
        {
            _parallel.For(n, (n0, n1, wk) =>
            {
                var acc = partials[wk] = Pool.Rent(length);
                body(n0, n1, acc.Pointer);
            });
            // Split over workers by element and in vectors, each element's sum in worker order as in the scalar
            // tail (0 + p0 + p1 ..., then + beta * dst), so every split gives the same bits.
            _parallel.For(length, (i0, i1, _) =>
            {
                long i = i0;
                if (Vector.IsHardwareAccelerated)
                {
                    var betaV = new Vector<float>(beta);
                    for (; i + Vector<float>.Count <= i1; i += Vector<float>.Count)
                    {
                        var sum = Vector<float>.Zero;
                        for (int k = 0; k < workers; k++)
                        {
                            sum += Vector.Load(partials[k].Pointer + i);
                        }
                        Vector.Store(beta == 0f ? sum : sum + betaV * Vector.Load(dst + i), dst + i);
                    }
                }
                for (; i < i1; i++)
                {
                    float sum = 0f;
                    for (int k = 0; k < workers; k++)
                    {
                        sum += partials[k].Pointer[i];
                    }
                    Store(ref dst[i], sum, beta);
                }
            }, ElementGrain);
        }
        finally
        {
            foreach (var p in partials)
            {
                p?.Dispose();
            }
        }
    }

    /// <summary>[C, nb*P] (image blocks side by side) -> nb images of [C, P].</summary>
    private static void Scatter(float* blocks, float* images, int c, int nb, int pixels)
    {
        for (int i = 0; i < nb; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                new ReadOnlySpan<float>(blocks + ((long)ch * nb + i) * pixels, pixels)
                    .CopyTo(new Span<float>(images + ((long)i * c + ch) * pixels, pixels));
            }
        }
    }

    /// <summary>nb images of [C, P] -> [C, nb*P] (the inverse of <see cref="Scatter"/>).</summary>
    private static void Gather(float* images, float* blocks, int c, int nb, int pixels)
    {
        for (int i = 0; i < nb; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                new ReadOnlySpan<float>(images + ((long)i * c + ch) * pixels, pixels)
                    .CopyTo(new Span<float>(blocks + ((long)ch * nb + i) * pixels, pixels));
            }
        }
    }

    /// <summary>One single-threaded row-major GEMM with dense leading dimensions (called inside a worker).</summary>
    private static void OpenBlas1(bool transA, bool transB, int m, int n, int k, float alpha, float* a, float* b,
        float beta, float* c)
    {
        Interop.OpenBlas.cblas_sgemm(Interop.OpenBlas.RowMajor,
            transA ? Interop.OpenBlas.Trans : Interop.OpenBlas.NoTrans,
            transB ? Interop.OpenBlas.Trans : Interop.OpenBlas.NoTrans,
            m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n);
    }
}
