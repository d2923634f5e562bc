using RelReason.Backends;
using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Tests.Cuda;

public class LossOptimKernelTests : HostKernelTestBase
{
    /// <summary>Logits over a wide range, with the extremes a stable loss must survive, and 0/1 targets.</summary>
    private static (float[] Logits, float[] Targets) BinaryInputs(int n, int seed)
    {
        float[] logits = Random(n, seed, 8f);
        logits[0] = 100f;
        logits[1] = -100f;
        logits[2] = 0f;
        logits[3] = 1e-8f;
        logits[4] = -100f;
        logits[5] = 100f;
        var rng = new Random(seed + 1);
        float[] targets = Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0 ? 0f : 1f).ToArray();
        targets[0] = 1f;
        targets[1] = 0f;
        targets[4] = 1f;
        targets[5] = 0f;
        return (logits, targets);
    }

    [TestCase(BinaryLossKind.Bce, 0f, 0.5f, 1000)]
    [TestCase(BinaryLossKind.Bce, 0f, 0.5f, 5000)]
    [TestCase(BinaryLossKind.Focal, 2f, 0.5f, 5000)]
    [TestCase(BinaryLossKind.Focal, 1.5f, 0.25f, 300)]
    [TestCase(BinaryLossKind.Focal, 0f, 0.75f, 300)]
    public void BinaryLoss_MatchesCpu(BinaryLossKind kind, float gamma, float alpha, int n)
    {
        (float[] logits, float[] targets) = BinaryInputs(n, 30 + n);
        var cpuLoss = CpuTensor(new float[2], 2);
        var cpuGrad = CpuTensor(new float[n], n);
        Cpu.BinaryLoss(CpuTensor(logits, n), CpuTensor(targets, n), kind, gamma, alpha, cpuLoss, cpuGrad);
        var loss = Buffer(null, 2);
        var grad = Buffer(null, n);
        var scratch = Buffer(null, (int)LossKernels.ScratchFloats(n));

        new LossKernels(Launcher).Binary(Buffer(logits).Ptr, Buffer(targets).Ptr, n, kind, gamma, alpha, loss.Ptr,
            grad.Ptr, scratch.Ptr);

        float[] expectedLoss = Read(cpuLoss);
        Assert.That(loss.Span[1], Is.EqualTo(expectedLoss[1]), "correct count");
        KernelAssert.Close(loss.Span[..1], expectedLoss.AsSpan(0, 1), KernelTolerance.Loss, $"{kind} loss");
        KernelAssert.Close(grad.Span, Read(cpuGrad), KernelTolerance.Loss, $"{kind} gradient");
        Assert.That(float.IsFinite(loss.Span[0]), Is.True);
        loss.AssertGuardsIntact("loss");
        grad.AssertGuardsIntact("dLogits");
        scratch.AssertGuardsIntact("scratch");
    }

    [TestCase(300, 10)]
    [TestCase(7, 1000)]
    [TestCase(2100, 3)]
    public void SoftmaxCrossEntropy_MatchesCpu(int rows, int classes)
    {
        float[] logits = Random(rows * classes, 40, 6f);
        logits[0] = 100f;
        logits[classes] = -100f;
        var rng = new Random(41);
        float[] labels = Enumerable.Range(0, rows).Select(_ => (float)rng.Next(classes)).ToArray();
        var cpuLoss = CpuTensor(new float[2], 2);
        var cpuGrad = CpuTensor(new float[rows * classes], rows, classes);
        Cpu.SoftmaxCrossEntropy(CpuTensor(logits, rows, classes), CpuTensor(labels, rows), cpuLoss, cpuGrad);
        var loss = Buffer(null, 2);
        var grad = Buffer(null, rows * classes);
        var scratch = Buffer(null, (int)LossKernels.ScratchFloats(rows));

        new LossKernels(Launcher).SoftmaxCrossEntropy(Buffer(logits).Ptr, Buffer(labels).Ptr, rows, classes, loss.Ptr,
            grad.Ptr, scratch.Ptr);

        float[] expectedLoss = Read(cpuLoss);
        Assert.That(loss.Span[1], Is.EqualTo(expectedLoss[1]), "correct count");
        KernelAssert.Close(loss.Span[..1], expectedLoss.AsSpan(0, 1), KernelTolerance.Loss, "cross-entropy loss");
        KernelAssert.Close(grad.Span, Read(cpuGrad), KernelTolerance.Loss, "cross-entropy gradient");
        grad.AssertGuardsIntact("dLogits");
    }

    [Test]
    public void SoftmaxCrossEntropy_InvalidLabelGivesNaNLoss()
    {
        float[] logits = Random(3 * 4, 42);
        var loss = Buffer(null, 2);
        var grad = Buffer(null, 12);
        var scratch = Buffer(null, (int)LossKernels.ScratchFloats(3));

        new LossKernels(Launcher).SoftmaxCrossEntropy(Buffer(logits).Ptr, Buffer([0f, 4f, 1f]).Ptr, 3, 4, loss.Ptr,
            grad.Ptr, scratch.Ptr);

        Assert.That(float.IsNaN(loss.Span[0]), Is.True, "a label outside 0..3 must poison the loss");
    }

    [TestCase(0f)]
    [TestCase(0.01f)]
    public void Adam_ThreeStepsMatchCpu(float weightDecay)
    {
        const int n = 1001;
        float[] p0 = Random(n, 50), m0 = new float[n], v0 = new float[n];
        var cpuP = CpuTensor(p0, n);
        var cpuM = CpuTensor(m0, n);
        var cpuV = CpuTensor(v0, n);
        var p = Buffer(p0);
        var m = Buffer(m0);
        var v = Buffer(v0);
        var kernels = new OptimKernels(Launcher);
        for (int step = 1; step <= 3; step++)
        {
            float[] g = Random(n, 50 + step);
            Cpu.AdamStep(cpuP, CpuTensor(g, n), cpuM, cpuV, 1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
            kernels.Adam(p.Ptr, Buffer(g).Ptr, m.Ptr, v.Ptr, n, 1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
        }

        KernelAssert.Close(p.Span, Read(cpuP), KernelTolerance.Adam, "adam param");
        KernelAssert.Close(m.Span, Read(cpuM), KernelTolerance.Adam, "adam m");
        KernelAssert.Close(v.Span, Read(cpuV), KernelTolerance.Adam, "adam v");
        p.AssertGuardsIntact("param");
    }

    [TestCase(0.9f, false, 0f)]
    [TestCase(0.9f, true, 1e-4f)]
    [TestCase(0f, false, 1e-4f)]
    public void Sgd_TwoStepsMatchCpu(float momentum, bool nesterov, float weightDecay)
    {
        const int n = 999;
        float[] p0 = Random(n, 60);
        var cpuP = CpuTensor(p0, n);
        var cpuBuf = CpuTensor(new float[n], n);
        var p = Buffer(p0);
        // With momentum 0 the buffer is neither read nor written: it stays NaN, and a read would poison p.
        var buf = Buffer(null, n);
        var kernels = new OptimKernels(Launcher);
        for (int step = 0; step < 2; step++)
        {
            float[] g = Random(n, 61 + step);
            Cpu.SgdStep(cpuP, CpuTensor(g, n), cpuBuf, 0.1f, momentum, weightDecay, nesterov, step == 0);
            kernels.Sgd(p.Ptr, Buffer(g).Ptr, buf.Ptr, n, 0.1f, momentum, weightDecay, nesterov, step == 0);
        }

        KernelAssert.Close(p.Span, Read(cpuP), KernelTolerance.Exact, "sgd param");
        if (momentum != 0)
        {
            KernelAssert.Close(buf.Span, Read(cpuBuf), KernelTolerance.Exact, "sgd buffer");
        }
        else
        {
            Assert.That(buf.ToArray().All(float.IsNaN), Is.True, "momentum 0 must leave the buffer untouched");
        }
        buf.AssertGuardsIntact("buffer");
    }
}
