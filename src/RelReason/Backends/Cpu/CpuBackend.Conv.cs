using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Convolution as im2col + one GEMM per image. Images are split over workers; each worker owns one column
    // buffer of [Cin*KH*KW, OH*OW] floats for its whole range.

    public void ConvForward(Tensor x, Tensor w, Tensor y, ConvGeometry g)
    {
        ShapeCheck.Conv("conv forward", g, x, w, y);
        float* px = Ptr(x), pw = Ptr(w), py = Ptr(y);
        int ckk = g.InChannels * g.KernelH * g.KernelW, pixels = g.OutHeight * g.OutWidth;
        long inImage = (long)g.InChannels * g.Height * g.Width, outImage = (long)g.OutChannels * pixels;
        bool direct = g.KernelH == 1 && g.KernelW == 1 && g.Stride == 1 && g.Pad == 0;
        _parallel.For(g.N, (n0, n1, _) =>
        {
            using var cols = direct ? null : Pool.Rent((long)ckk * pixels);
            for (long n = n0; n < n1; n++)
            {
                float* b = px + n * inImage;
                if (cols != null)
                {
                    Im2Col.Unfold(b, cols.Pointer, g);
                    b = cols.Pointer;
                }
                OpenBlas1(false, false, g.OutChannels, pixels, ckk, 1f, pw, b, 0f, py + n * outImage);
            }
        });
    }

    public void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, float beta)
    {
        ShapeCheck.Conv("conv backward data", g, dx, w, dy);
        float* pdy = Ptr(dy), pw = Ptr(w), pdx = Ptr(dx);
        int ckk = g.InChannels * g.KernelH * g.KernelW, pixels = g.OutHeight * g.OutWidth;
        long inImage = (long)g.InChannels * g.Height * g.Width, outImage = (long)g.OutChannels * pixels;
        _parallel.For(g.N, (n0, n1, _) =>
        {
            using var cols = Pool.Rent((long)ckk * pixels);
            for (long n = n0; n < n1; n++)
            {
                // dcols [CKK, P] = W^T [CKK, Cout] x dy[n] [Cout, P], then fold (adjoint of unfold) into dx[n].
                OpenBlas1(true, false, ckk, pixels, g.OutChannels, 1f, pw, pdy + n * outImage, 0f, cols.Pointer);
                var image = new Span<float>(pdx + n * inImage, checked((int)inImage));
                if (beta == 0f)
                {
                    image.Clear();
                }
                else if (beta != 1f)
                {
                    System.Numerics.Tensors.TensorPrimitives.Multiply(image, beta, image);
                }
                Im2Col.Fold(cols.Pointer, pdx + n * inImage, g);
            }
        });
    }

    public void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, ConvGeometry g, float beta)
    {
        ShapeCheck.Conv("conv backward filter", g, x, dw, dy);
        float* px = Ptr(x), pdy = Ptr(dy);
        int ckk = g.InChannels * g.KernelH * g.KernelW, pixels = g.OutHeight * g.OutWidth;
        long inImage = (long)g.InChannels * g.Height * g.Width, outImage = (long)g.OutChannels * pixels;
        long wLen = (long)g.OutChannels * ckk;
        int workers = _parallel.Workers(g.N);
        var partials = new CpuStorage[workers];
        bool direct = g.KernelH == 1 && g.KernelW == 1 && g.Stride == 1 && g.Pad == 0;
        try
        {
            _parallel.For(g.N, (n0, n1, wk) =>
            {
                var acc = partials[wk] = Pool.Rent(wLen);
                using var cols = direct ? null : Pool.Rent((long)ckk * pixels);
                for (long n = n0; n < n1; n++)
                {
                    float* b = px + n * inImage;
                    if (cols != null)
                    {
                        Im2Col.Unfold(b, cols.Pointer, g);
                        b = cols.Pointer;
                    }
                    // dW [Cout, CKK] (+)= dy[n] [Cout, P] x cols^T [P, CKK]
                    OpenBlas1(false, true, g.OutChannels, ckk, pixels, 1f, pdy + n * outImage, b, n == n0 ? 0f : 1f,
                        acc.Pointer);
                }
            });
            var dst = Span(dw);
            for (int i = 0; i < wLen; i++)
            {
                float s = 0f;
                for (int k = 0; k < workers; k++)
                {
                    s += partials[k].Pointer[i];
                }
                Store(ref dst[i], s, beta);
            }
        }
        finally
        {
            foreach (var p in partials)
            {
                p?.Dispose();
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
