using System.Numerics;
using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step)
    {
        ShapeCheck.SameLength("adam", param, grad);
        ShapeCheck.SameLength("adam", param, m);
        ShapeCheck.SameLength("adam", param, v);
        if (step < 1)
        {
            throw new ArgumentException($"adam: step must start at 1, got {step}");
        }
        // Scalars as torch computes them in Python doubles, then applied in float32 per element.
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        float stepSize = (float)(lr / bc1);
        float invBc2Sqrt = (float)(1 / bc2Sqrt);
        float* p = Ptr(param), g = Ptr(grad), pm = Ptr(m), pv = Ptr(v);
        float oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2;
        // Vectors run the scalar expression below op for op (each op rounds once, and the JIT never fuses a
        // multiply and an add), so both loops give the same bits; the tail of each range takes the scalar one.
        _parallel.For(param.Length, (s, e, _) =>
        {
            long i = s;
            if (Vector.IsHardwareAccelerated)
            {
                var b1 = new Vector<float>(beta1);
                var b2 = new Vector<float>(beta2);
                var c1 = new Vector<float>(oneMinusB1);
                var c2 = new Vector<float>(oneMinusB2);
                var wd = new Vector<float>(weightDecay);
                var inv = new Vector<float>(invBc2Sqrt);
                var epsV = new Vector<float>(eps);
                var stepV = new Vector<float>(stepSize);
                for (; i + Vector<float>.Count <= e; i += Vector<float>.Count)
                {
                    var pi = Vector.Load(p + i);
                    var gi = weightDecay != 0f ? Vector.Load(g + i) + wd * pi : Vector.Load(g + i);
                    var mi = Vector.Load(pm + i) * b1 + c1 * gi;
                    var vi = Vector.Load(pv + i) * b2 + c2 * gi * gi;
                    var denom = Vector.SquareRoot(vi) * inv + epsV;
                    Vector.Store(mi, pm + i);
                    Vector.Store(vi, pv + i);
                    Vector.Store(pi - stepV * (mi / denom), p + i);
                }
            }
            for (; i < e; i++)
            {
                float gi = weightDecay != 0f ? g[i] + weightDecay * p[i] : g[i];
                pm[i] = pm[i] * beta1 + oneMinusB1 * gi;
                pv[i] = pv[i] * beta2 + oneMinusB2 * gi * gi;
                float denom = MathF.Sqrt(pv[i]) * invBc2Sqrt + eps;
                p[i] -= stepSize * (pm[i] / denom);
            }
        }, ElementGrain);
    }

    public void SgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay,
        bool nesterov, bool firstStep)
    {
        ShapeCheck.SameLength("sgd", param, grad);
        ShapeCheck.SameLength("sgd", param, momentumBuffer);
        float* p = Ptr(param), g = Ptr(grad), buf = Ptr(momentumBuffer);
        // As in AdamStep: the vector loop and the scalar tail give the same bits.
        _parallel.For(param.Length, (s, e, _) =>
        {
            long i = s;
            if (Vector.IsHardwareAccelerated)
            {
                var wd = new Vector<float>(weightDecay);
                var mu = new Vector<float>(momentum);
                var lrV = new Vector<float>(lr);
                for (; i + Vector<float>.Count <= e; i += Vector<float>.Count)
                {
                    var pi = Vector.Load(p + i);
                    var d = weightDecay != 0f ? Vector.Load(g + i) + wd * pi : Vector.Load(g + i);
                    if (momentum != 0f)
                    {
                        var b = firstStep ? d : mu * Vector.Load(buf + i) + d;
                        Vector.Store(b, buf + i);
                        d = nesterov ? d + mu * b : b;
                    }
                    Vector.Store(pi - lrV * d, p + i);
                }
            }
            for (; i < e; i++)
            {
                float d = weightDecay != 0f ? g[i] + weightDecay * p[i] : g[i];
                if (momentum != 0f)
                {
                    buf[i] = firstStep ? d : momentum * buf[i] + d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
        }, ElementGrain);
    }
}
