using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Pooling over planes: x [N, C, H, W] is N*C independent planes, split over workers.

    private static (int Planes, int H, int W, int OH, int OW) PoolShapes(string op, Tensor x, Tensor y, PoolGeometry p)
    {
        ShapeCheck.Rank(op, "input", x, 4);
        ShapeCheck.Rank(op, "output", y, 4);
        int h = x.Shape[2], w = x.Shape[3], oh = p.OutSize(h), ow = p.OutSize(w);
        if (oh <= 0 || ow <= 0 || y.Shape[0] != x.Shape[0] || y.Shape[1] != x.Shape[1] || y.Shape[2] != oh ||
            y.Shape[3] != ow)
        {
            throw new ArgumentException(
                $"{op} {p.Kernel}x{p.Kernel}/s{p.Stride}/p{p.Pad}: input {x.Shape} does not give output {y.Shape}");
        }
        return (x.Shape[0] * x.Shape[1], h, w, oh, ow);
    }

    public void AvgPoolForward(Tensor x, Tensor y, PoolGeometry p)
    {
        var (planes, h, w, oh, ow) = PoolShapes("avg pool", x, y, p);
        float* px = Ptr(x), py = Ptr(y);
        float inv = 1f / (p.Kernel * p.Kernel);
        if (p is { Kernel: 2, Stride: 2, Pad: 0 })
        {
            _parallel.For(planes, (q0, q1, _) => AvgPool2x2(px + q0 * h * w, py + q0 * oh * ow, (int)(q1 - q0), h, w),
                16);
            return;
        }
        _parallel.For(planes, (q0, q1, _) =>
        {
            for (long q = q0; q < q1; q++)
            {
                float* src = px + q * h * w, dst = py + q * oh * ow;
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float sum = 0f;
                        for (int ky = 0; ky < p.Kernel; ky++)
                        {
                            int iy = oy * p.Stride - p.Pad + ky;
                            if ((uint)iy >= (uint)h)
                            {
                                continue;
                            }
                            for (int kx = 0; kx < p.Kernel; kx++)
                            {
                                int ix = ox * p.Stride - p.Pad + kx;
                                if ((uint)ix < (uint)w)
                                {
                                    sum += src[iy * w + ix];
                                }
                            }
                        }
                        dst[oy * ow + ox] = sum * inv;
                    }
                }
            }
        }, 16);
    }

    public void AvgPoolBackward(Tensor dy, Tensor dx, PoolGeometry p, float beta)
    {
        var (planes, h, w, oh, ow) = PoolShapes("avg pool backward", dx, dy, p);
        float* pdy = Ptr(dy), pdx = Ptr(dx);
        float inv = 1f / (p.Kernel * p.Kernel);
        if (p is { Kernel: 2, Stride: 2, Pad: 0 })
        {
            _parallel.For(planes, (q0, q1, _) =>
                AvgPool2x2Backward(pdy + q0 * oh * ow, pdx + q0 * h * w, (int)(q1 - q0), h, w, beta), 16);
            return;
        }
        _parallel.For(planes, (q0, q1, _) =>
        {
            for (long q = q0; q < q1; q++)
            {
                float* g = pdy + q * oh * ow, dst = pdx + q * h * w;
                ScalePlane(dst, h * w, beta);
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float v = g[oy * ow + ox] * inv;
                        for (int ky = 0; ky < p.Kernel; ky++)
                        {
                            int iy = oy * p.Stride - p.Pad + ky;
                            if ((uint)iy >= (uint)h)
                            {
                                continue;
                            }
                            for (int kx = 0; kx < p.Kernel; kx++)
                            {
                                int ix = ox * p.Stride - p.Pad + kx;
                                if ((uint)ix < (uint)w)
                                {
                                    dst[iy * w + ix] += v;
                                }
                            }
                        }
                    }
                }
            }
        }, 16);
    }

    public void MaxPoolForward(Tensor x, Tensor y, PoolGeometry p)
    {
        var (planes, h, w, oh, ow) = PoolShapes("max pool", x, y, p);
        float* px = Ptr(x), py = Ptr(y);
        _parallel.For(planes, (q0, q1, _) =>
        {
            using var scratch = Pool.Rent(MaxPoolPlane.ScratchLength(h, w, p) + (long)oh * ow);
            int* idx = (int*)scratch.Pointer;
            float* phases = scratch.Pointer + (long)oh * ow;
            for (long q = q0; q < q1; q++)
            {
                float* src = px + q * h * w, dst = py + q * oh * ow;
                MaxPoolPlane.ArgMax(src, h, w, oh, ow, p, idx, phases);
                for (int o = 0; o < oh * ow; o++)
                {
                    dst[o] = src[idx[o]];
                }
            }
        }, 16);
    }

    public void MaxPoolBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, PoolGeometry p, float beta)
    {
        var (planes, h, w, oh, ow) = PoolShapes("max pool backward", x, dy, p);
        ShapeCheck.SameLength("max pool backward", x, dx);
        float* px = Ptr(x), pdy = Ptr(dy), pdx = Ptr(dx);
        _parallel.For(planes, (q0, q1, _) =>
        {
            using var scratch = Pool.Rent(MaxPoolPlane.ScratchLength(h, w, p) + (long)oh * ow);
            int* idx = (int*)scratch.Pointer;
            float* phases = scratch.Pointer + (long)oh * ow;
            for (long q = q0; q < q1; q++)
            {
                float* src = px + q * h * w, g = pdy + q * oh * ow, dst = pdx + q * h * w;
                ScalePlane(dst, h * w, beta);
                MaxPoolPlane.ArgMax(src, h, w, oh, ow, p, idx, phases);
                // In output order, so gradients of windows sharing a winner add up in a fixed order.
                for (int o = 0; o < oh * ow; o++)
                {
                    dst[idx[o]] += g[o];
                }
            }
        }, 16);
    }

    private static void ScalePlane(float* dst, int count, float beta)
    {
        var span = new Span<float>(dst, count);
        if (beta == 0f)
        {
            span.Clear();
        }
        else if (beta != 1f)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(span, beta, span);
        }
    }

    public void GlobalAvgPoolForward(Tensor x, Tensor y)
    {
        ShapeCheck.Rank("global avg pool", "input", x, 4);
        int planes = x.Shape[0] * x.Shape[1], s = x.Shape[2] * x.Shape[3];
        ShapeCheck.Elements("global avg pool", "output", y, planes);
        float* px = Ptr(x), py = Ptr(y);
        _parallel.For(planes, (q0, q1, _) =>
        {
            for (long q = q0; q < q1; q++)
            {
                py[q] = System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(px + q * s, s)) / s;
            }
        }, 64);
    }

    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx, float beta)
    {
        ShapeCheck.Rank("global avg pool backward", "dx", dx, 4);
        int planes = dx.Shape[0] * dx.Shape[1], s = dx.Shape[2] * dx.Shape[3];
        ShapeCheck.Elements("global avg pool backward", "dy", dy, planes);
        float* pdy = Ptr(dy), pdx = Ptr(dx);
        _parallel.For(planes, (q0, q1, _) =>
        {
            for (long q = q0; q < q1; q++)
            {
                float v = pdy[q] / s;
                float* dst = pdx + q * s;
                for (int i = 0; i < s; i++)
                {
                    dst[i] = beta == 0f ? v : v + beta * dst[i];
                }
            }
        }, 64);
    }

    /// <summary>The Conv-4 pooling (2x2, stride 2, no padding) over consecutive planes; odd edges are
    /// dropped.</summary>
    private static void AvgPool2x2(float* x, float* y, int planes, int h, int w)
    {
        int oh = h / 2, ow = w / 2;
        for (int q = 0; q < planes; q++, x += h * w)
        {
            for (int oy = 0; oy < oh; oy++, y += ow)
            {
                float* r0 = x + 2 * oy * w, r1 = r0 + w;
                for (int ox = 0; ox < ow; ox++)
                {
                    y[ox] = 0.25f * (r0[2 * ox] + r0[2 * ox + 1] + r1[2 * ox] + r1[2 * ox + 1]);
                }
            }
        }
    }

    private static void AvgPool2x2Backward(float* dy, float* dx, int planes, int h, int w, float beta)
    {
        int oh = h / 2, ow = w / 2;
        for (int q = 0; q < planes; q++, dx += h * w)
        {
            ScalePlane(dx, h * w, beta);
            for (int oy = 0; oy < oh; oy++, dy += ow)
            {
                float* r0 = dx + 2 * oy * w, r1 = r0 + w;
                for (int ox = 0; ox < ow; ox++)
                {
                    float v = 0.25f * dy[ox];
                    r0[2 * ox] += v;
                    r0[2 * ox + 1] += v;
                    r1[2 * ox] += v;
                    r1[2 * ox + 1] += v;
                }
            }
        }
    }
}
