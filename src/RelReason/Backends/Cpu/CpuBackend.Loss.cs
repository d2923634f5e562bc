using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void BinaryLoss(Tensor logits, Tensor targets, BinaryLossKind kind, float gamma, float alpha, Tensor loss,
        Tensor dLogits)
    {
        ShapeCheck.NotEmpty("binary loss", logits);
        ShapeCheck.SameLength("binary loss", logits, targets);
        ShapeCheck.SameLength("binary loss", logits, dLogits);
        ShapeCheck.Elements("binary loss", "loss", loss, 2);
        int n = checked((int)logits.Length);
        float* px = Ptr(logits), py = Ptr(targets), pd = Ptr(dLogits);
        double sum = 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            var (l, g) = LossMath.Binary(px[i], py[i], kind, gamma, alpha);
            sum += l;
            pd[i] = (float)(g / n);
            // round(sigmoid(x)) is 1 only for x > 0 (sigmoid(0) = 0.5 rounds to even, i.e. 0).
            correct += (px[i] > 0f ? 1f : 0f) == py[i] ? 1 : 0;
        }
        float* pl = Ptr(loss);
        pl[0] = (float)(sum / n);
        pl[1] = correct;
    }

    public void SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits)
    {
        var (n, c) = ShapeCheck.SoftmaxCrossEntropy(logits, labels, loss, dLogits);
        float* px = Ptr(logits), py = Ptr(labels), pd = Ptr(dLogits);
        double sum = 0;
        int correct = 0;
        for (int r = 0; r < n; r++)
        {
            int label = (int)py[r];
            if (label < 0 || label >= c || label != py[r])
            {
                throw new ArgumentException($"softmax cross-entropy: label {py[r]} of row {r} is not in 0..{c - 1}");
            }
            float* row = px + (long)r * c, grad = pd + (long)r * c;
            float max = row[0];
            int arg = 0;
            for (int j = 1; j < c; j++)
            {
                if (row[j] > max)
                {
                    max = row[j];
                    arg = j;
                }
            }
            double z = 0;
            for (int j = 0; j < c; j++)
            {
                z += Math.Exp(row[j] - max);
            }
            double logZ = Math.Log(z) + max;
            sum += logZ - row[label];
            for (int j = 0; j < c; j++)
            {
                double p = Math.Exp(row[j] - logZ);
                grad[j] = (float)((p - (j == label ? 1 : 0)) / n);
            }
            correct += arg == label ? 1 : 0;
        }
        float* pl = Ptr(loss);
        pl[0] = (float)(sum / n);
        pl[1] = correct;
    }
}

/// <summary>Scalar loss formulas shared by the CPU backend and the tests; double precision, stable for any
/// logit.</summary>
public static class LossMath
{
    /// <summary>log(1 + exp(x)) without overflow.</summary>
    public static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>Loss of one logit x against target y, and its derivative with respect to x.</summary>
    public static (double Loss, double Grad) Binary(double x, double y, BinaryLossKind kind, double gamma,
        double alpha)
    {
        // bce = y softplus(-x) + (1 - y) softplus(x), d bce/dx = sigmoid(x) - y.
        double bce = y * Softplus(-x) + (1 - y) * Softplus(x);
        double p = Sigmoid(x);
        if (kind == BinaryLossKind.Bce)
        {
            return (bce, p - y);
        }
        // q = 1 - p_t, computed from sigmoid(-x) or sigmoid(x) directly so it keeps its digits near 0.
        double q = y * Sigmoid(-x) + (1 - y) * p;
        double at = y * alpha + (1 - y) * (1 - alpha);
        double mod = Math.Pow(q, gamma);
        // dq/dx = -(2y - 1) p (1 - p); the modulating factor is differentiated too (it is not detached).
        double dq = -(2 * y - 1) * p * (1 - p);
        double dMod = q > 0 ? gamma * Math.Pow(q, gamma - 1) * dq : 0;
        return (at * mod * bce, at * (dMod * bce + mod * (p - y)));
    }
}
