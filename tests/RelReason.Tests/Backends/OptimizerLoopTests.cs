using RelReason.Backends.Cpu;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Backends;

/// <summary>
/// The CPU optimisers update most elements in vector registers and the rest of each worker's range one by one;
/// both must give exactly the bits of PyTorch's per-element formula (written out here in scalar float32). The
/// lengths cover a range shorter than one vector, a ragged tail, and ranges split over both workers at offsets
/// that are not multiples of the vector width.
/// </summary>
public class OptimizerLoopTests
{
    private static readonly int[] Lengths = [5, 1_037, 70_001];

    [TestCase(0f)]
    [TestCase(0.01f)]
    public void Adam_VectorAndScalarLoopsGiveTheScalarFormulasBits(float weightDecay)
    {
        const float lr = 3e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        using var cpu = new CpuBackend(2);
        foreach (int n in Lengths)
        {
            float[] p = Random(1, n), m = new float[n], v = new float[n];
            using var tp = From(cpu, p, n);
            using var tm = From(cpu, m, n);
            using var tv = From(cpu, v, n);
            for (int step = 1; step <= 3; step++)
            {
                float[] g = Random(10 + step, n, 0.1f);
                using var tg = From(cpu, g, n);
                cpu.AdamStep(tp, tg, tm, tv, lr, beta1, beta2, eps, weightDecay, step);
                float stepSize = (float)(lr / (1 - Math.Pow(beta1, step)));
                float inv = (float)(1 / Math.Sqrt(1 - Math.Pow(beta2, step)));
                for (int i = 0; i < n; i++)
                {
                    float gi = weightDecay != 0f ? g[i] + weightDecay * p[i] : g[i];
                    m[i] = m[i] * beta1 + (1 - beta1) * gi;
                    v[i] = v[i] * beta2 + (1 - beta2) * gi * gi;
                    p[i] -= stepSize * (m[i] / (MathF.Sqrt(v[i]) * inv + eps));
                }
            }
            AssertBits(ToArray(cpu, tp), p, $"adam param, n={n}");
            AssertBits(ToArray(cpu, tm), m, $"adam exp_avg, n={n}");
            AssertBits(ToArray(cpu, tv), v, $"adam exp_avg_sq, n={n}");
        }
    }

    [TestCase(0.9f, false, 0f)]
    [TestCase(0.9f, true, 5e-4f)]
    [TestCase(0f, false, 5e-4f)]
    public void Sgd_VectorAndScalarLoopsGiveTheScalarFormulasBits(float momentum, bool nesterov, float weightDecay)
    {
        const float lr = 0.05f;
        using var cpu = new CpuBackend(2);
        foreach (int n in Lengths)
        {
            float[] p = Random(2, n), buf = new float[n];
            using var tp = From(cpu, p, n);
            using var tb = From(cpu, buf, n);
            for (int step = 1; step <= 3; step++)
            {
                float[] g = Random(20 + step, n, 0.1f);
                using var tg = From(cpu, g, n);
                cpu.SgdStep(tp, tg, tb, lr, momentum, weightDecay, nesterov, step == 1);
                for (int i = 0; i < n; i++)
                {
                    float d = weightDecay != 0f ? g[i] + weightDecay * p[i] : g[i];
                    if (momentum != 0f)
                    {
                        buf[i] = step == 1 ? d : momentum * buf[i] + d;
                        d = nesterov ? d + momentum * buf[i] : buf[i];
                    }
                    p[i] -= lr * d;
                }
            }
            AssertBits(ToArray(cpu, tp), p, $"sgd param, n={n}");
            AssertBits(ToArray(cpu, tb), buf, $"sgd momentum buffer, n={n}");
        }
    }

    private static void AssertBits(float[] actual, float[] expected, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the scalar formula gives {expected[i]:R}");
            }
        }
    }
}
