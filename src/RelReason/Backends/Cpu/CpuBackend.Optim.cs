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
        _parallel.For(param.Length, (s, e, _) =>
        {
            for (long i = s; i < e; i++)
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
        _parallel.For(param.Length, (s, e, _) =>
        {
            for (long i = s; i < e; i++)
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
