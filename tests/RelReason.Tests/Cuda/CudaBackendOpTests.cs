using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Tests.Cuda;

/// <summary>Every op of the CUDA backend against the CPU backend on the same inputs (GPU only).</summary>
public class CudaBackendOpTests : GpuTestBase
{
    [Test]
    public void Memory_UploadDownloadFillCopy()
    {
        float[] values = TestTensors.Random(1, 1031);
        var t = Both(values, 1031);
        Assert.That(TestTensors.ToArray(Gpu, t.Gpu), Is.EqualTo(values));
        var copy = Poisoned(1031);
        Gpu.Copy(t.Gpu, copy.Gpu);
        Cpu.Copy(t.Cpu, copy.Cpu);
        AssertSame(copy, GpuTolerance.Exact, "copy");
        Gpu.Fill(t.Gpu, 3.25f);
        Cpu.Fill(t.Cpu, 3.25f);
        AssertSame(t, GpuTolerance.Exact, "fill");
    }

    [TestCase(false, false, 0f)]
    [TestCase(true, false, 0.5f)]
    [TestCase(false, true, 1f)]
    [TestCase(true, true, 0f)]
    public void Gemm_AllTransposes(bool ta, bool tb, float beta)
    {
        const int m = 37, n = 53, k = 291;
        var a = ta ? Random(2, k, m) : Random(2, m, k);
        var b = tb ? Random(3, n, k) : Random(3, k, n);
        var c = beta == 0 ? Poisoned(m, n) : Random(4, m, n);
        Gpu.Gemm(a.Gpu, ta, b.Gpu, tb, c.Gpu, 0.75f, beta);
        Cpu.Gemm(a.Cpu, ta, b.Cpu, tb, c.Cpu, 0.75f, beta);
        AssertSame(c, GpuTolerance.Gemm, $"gemm ta={ta} tb={tb} beta={beta}");
    }

    [Test]
    public void Elementwise_AddAccumulateBiasLeakyRelu()
    {
        const int rows = 77, cols = 33;
        var a = Random(5, rows, cols);
        var b = Random(6, rows, cols);
        var y = Poisoned(rows, cols);
        Gpu.Add(a.Gpu, b.Gpu, y.Gpu);
        Cpu.Add(a.Cpu, b.Cpu, y.Cpu);
        AssertSame(y, GpuTolerance.Exact, "add");

        Gpu.Accumulate(a.Gpu, y.Gpu, 0.5f);
        Cpu.Accumulate(a.Cpu, y.Cpu, 0.5f);
        AssertSame(y, GpuTolerance.Elementwise, "accumulate");

        var bias = Random(7, cols);
        Gpu.AddBias(y.Gpu, bias.Gpu);
        Cpu.AddBias(y.Cpu, bias.Cpu);
        AssertSame(y, GpuTolerance.Exact, "add bias");

        var dBias = Random(8, cols);
        Gpu.BiasBackward(a.Gpu, dBias.Gpu, 1f);
        Cpu.BiasBackward(a.Cpu, dBias.Cpu, 1f);
        AssertSame(dBias, GpuTolerance.Sums, "bias backward");

        var leaky = Poisoned(rows, cols);
        Gpu.LeakyReluForward(a.Gpu, leaky.Gpu, 0.01f);
        Cpu.LeakyReluForward(a.Cpu, leaky.Cpu, 0.01f);
        AssertSame(leaky, GpuTolerance.Exact, "leaky relu");
        var dx = Poisoned(rows, cols);
        Gpu.LeakyReluBackward(a.Gpu, b.Gpu, dx.Gpu, 0.01f, 0f);
        Cpu.LeakyReluBackward(a.Cpu, b.Cpu, dx.Cpu, 0.01f, 0f);
        AssertSame(dx, GpuTolerance.Exact, "leaky relu backward");
    }

    [TestCase(0f)]
    [TestCase(1f)]
    public void Relu_ForwardAndBackward(float beta)
    {
        var x = Random(9, 5, 7, 11, 3);
        var y = Poisoned(5, 7, 11, 3);
        Gpu.ReluForward(x.Gpu, y.Gpu);
        Cpu.ReluForward(x.Cpu, y.Cpu);
        AssertSame(y, GpuTolerance.Exact, "relu");
        var dy = Random(10, 5, 7, 11, 3);
        var dx = beta == 0 ? Poisoned(5, 7, 11, 3) : Random(11, 5, 7, 11, 3);
        Gpu.ReluBackward(y.Gpu, dy.Gpu, dx.Gpu, beta);
        Cpu.ReluBackward(y.Cpu, dy.Cpu, dx.Cpu, beta);
        AssertSame(dx, GpuTolerance.Elementwise, $"relu backward beta {beta}");
    }

    private static IEnumerable<ConvGeometry> Geometries() =>
    [
        new ConvGeometry(4, 3, 17, 15, 8, 3, 3, 1, 1),
        new ConvGeometry(3, 8, 16, 16, 16, 3, 3, 2, 1),
        new ConvGeometry(2, 16, 9, 9, 32, 1, 1, 1, 0),
        new ConvGeometry(2, 3, 32, 32, 16, 7, 7, 2, 3),
    ];

    [TestCaseSource(nameof(Geometries))]
    public void Conv_ForwardBackwardDataBackwardFilter(ConvGeometry g)
    {
        var x = Random(12, g.N, g.InChannels, g.Height, g.Width);
        var w = Random(13, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        var y = Poisoned(g.N, g.OutChannels, g.OutHeight, g.OutWidth);
        Gpu.ConvForward(x.Gpu, w.Gpu, y.Gpu, g);
        Cpu.ConvForward(x.Cpu, w.Cpu, y.Cpu, g);
        AssertSame(y, GpuTolerance.Conv, $"conv forward {g}");

        var dy = Random(14, g.N, g.OutChannels, g.OutHeight, g.OutWidth);
        var dx = Random(15, g.N, g.InChannels, g.Height, g.Width);
        Gpu.ConvBackwardData(dy.Gpu, w.Gpu, dx.Gpu, g, 1f);
        Cpu.ConvBackwardData(dy.Cpu, w.Cpu, dx.Cpu, g, 1f);
        AssertSame(dx, GpuTolerance.Conv, $"conv backward data {g}");

        var dw = Poisoned(g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        Gpu.ConvBackwardFilter(x.Gpu, dy.Gpu, dw.Gpu, g, 0f);
        Cpu.ConvBackwardFilter(x.Cpu, dy.Cpu, dw.Cpu, g, 0f);
        AssertSame(dw, GpuTolerance.Conv, $"conv backward filter {g}");
    }

    [TestCase(6, 5, 7, 9)]
    [TestCase(40, 16, 1, 1)]
    [TestCase(64, 256, 0, 0)]
    public void BatchNorm_TrainingInferenceBackward(int n, int c, int h, int w)
    {
        int[] dims = h == 0 ? [n, c] : [n, c, h, w];
        int count = dims.Aggregate(1, (p, d) => p * d);
        var x = Both(TestTensors.Random(16, count, 2f, 0.5f), dims);
        var gamma = Both(TestTensors.Random(17, c, 0.5f, 1f), c);
        var beta = Random(18, c);
        var runMean = Random(19, c);
        var runVar = Both(TestTensors.Random(20, c, 0.2f, 1f), c);
        var y = Poisoned(dims);
        var saveMean = Poisoned(c);
        var saveInv = Poisoned(c);
        Gpu.BatchNormForwardTraining(x.Gpu, gamma.Gpu, beta.Gpu, y.Gpu, runMean.Gpu, runVar.Gpu, saveMean.Gpu,
            saveInv.Gpu, 0.1, 1e-5);
        Cpu.BatchNormForwardTraining(x.Cpu, gamma.Cpu, beta.Cpu, y.Cpu, runMean.Cpu, runVar.Cpu, saveMean.Cpu,
            saveInv.Cpu, 0.1, 1e-5);
        AssertSame(y, GpuTolerance.BatchNorm, "bn y");
        AssertSame(saveMean, GpuTolerance.BatchNorm, "bn save mean");
        AssertSame(saveInv, GpuTolerance.BatchNorm, "bn save inv std");
        AssertSame(runMean, GpuTolerance.BatchNorm, "bn running mean");
        AssertSame(runVar, GpuTolerance.BatchNorm, "bn running var (unbiased)");

        var dy = Random(21, dims);
        var dx = Poisoned(dims);
        var dGamma = Random(22, c);
        var dBeta = Random(23, c);
        Gpu.BatchNormBackward(x.Gpu, dy.Gpu, gamma.Gpu, saveMean.Gpu, saveInv.Gpu, dx.Gpu, dGamma.Gpu, dBeta.Gpu, 0f);
        Cpu.BatchNormBackward(x.Cpu, dy.Cpu, gamma.Cpu, saveMean.Cpu, saveInv.Cpu, dx.Cpu, dGamma.Cpu, dBeta.Cpu, 0f);
        AssertSame(dx, GpuTolerance.BatchNorm, "bn dx");
        AssertSame(dGamma, GpuTolerance.BatchNorm, "bn dgamma (accumulated)");
        AssertSame(dBeta, GpuTolerance.BatchNorm, "bn dbeta (accumulated)");

        var yInf = Poisoned(dims);
        Gpu.BatchNormForwardInference(x.Gpu, gamma.Gpu, beta.Gpu, yInf.Gpu, runMean.Gpu, runVar.Gpu, 1e-5);
        Cpu.BatchNormForwardInference(x.Cpu, gamma.Cpu, beta.Cpu, yInf.Cpu, runMean.Cpu, runVar.Cpu, 1e-5);
        AssertSame(yInf, GpuTolerance.BatchNorm, "bn inference");
    }

    [TestCase(2, 2, 0)]
    [TestCase(3, 2, 1)]
    [TestCase(3, 1, 1)]
    public void Pooling_AverageAndMax(int kernel, int stride, int pad)
    {
        var p = new PoolGeometry(kernel, stride, pad);
        const int n = 3, c = 5, h = 13, w = 11;
        int oh = p.OutSize(h), ow = p.OutSize(w);
        var x = Random(24, n, c, h, w);
        var avg = Poisoned(n, c, oh, ow);
        Gpu.AvgPoolForward(x.Gpu, avg.Gpu, p);
        Cpu.AvgPoolForward(x.Cpu, avg.Cpu, p);
        AssertSame(avg, GpuTolerance.Sums, "avg pool");
        var dy = Random(25, n, c, oh, ow);
        var dx = Random(26, n, c, h, w);
        Gpu.AvgPoolBackward(dy.Gpu, dx.Gpu, p, 1f);
        Cpu.AvgPoolBackward(dy.Cpu, dx.Cpu, p, 1f);
        AssertSame(dx, GpuTolerance.Sums, "avg pool backward");

        var max = Poisoned(n, c, oh, ow);
        Gpu.MaxPoolForward(x.Gpu, max.Gpu, p);
        Cpu.MaxPoolForward(x.Cpu, max.Cpu, p);
        AssertSame(max, GpuTolerance.Exact, "max pool");
        var dxMax = Poisoned(n, c, h, w);
        Gpu.MaxPoolBackward(x.Gpu, max.Gpu, dy.Gpu, dxMax.Gpu, p, 0f);
        Cpu.MaxPoolBackward(x.Cpu, max.Cpu, dy.Cpu, dxMax.Cpu, p, 0f);
        AssertSame(dxMax, GpuTolerance.Sums, "max pool backward");
    }

    [Test]
    public void GlobalAveragePool()
    {
        var x = Random(27, 6, 70, 4, 4);
        var y = Poisoned(6, 70);
        Gpu.GlobalAvgPoolForward(x.Gpu, y.Gpu);
        Cpu.GlobalAvgPoolForward(x.Cpu, y.Cpu);
        AssertSame(y, GpuTolerance.Sums, "global avg pool");
        var dx = Poisoned(6, 70, 4, 4);
        Gpu.GlobalAvgPoolBackward(y.Gpu, dx.Gpu, 0f);
        Cpu.GlobalAvgPoolBackward(y.Cpu, dx.Cpu, 0f);
        AssertSame(dx, GpuTolerance.Sums, "global avg pool backward");
    }

    [Test]
    public void RelationHead_GatherScatterCombine()
    {
        PairIndex pairs = PairIndex.Build(5, 9);
        int rows = 45;
        const int hidden = 37, dim = 19;
        var u = Random(28, rows, hidden, 2);
        var bias = Random(29, hidden);
        var z = Poisoned(pairs.Count, hidden);
        Gpu.PairGatherAdd(u.Gpu, bias.Gpu, pairs, z.Gpu);
        Cpu.PairGatherAdd(u.Cpu, bias.Cpu, pairs, z.Cpu);
        AssertSame(z, GpuTolerance.Exact, "pair gather-add");
        var du = Poisoned(rows, hidden, 2);
        Gpu.PairScatterAdd(z.Gpu, pairs, du.Gpu, 0f);
        Cpu.PairScatterAdd(z.Cpu, pairs, du.Cpu, 0f);
        AssertSame(du, GpuTolerance.Exact, "pair scatter-add");

        var f = Random(30, rows, dim);
        foreach (Aggregation agg in Enum.GetValues<Aggregation>())
        {
            int width = agg == Aggregation.Cat ? 2 * dim : dim;
            var o = Poisoned(pairs.Count, width);
            Gpu.PairCombine(f.Gpu, pairs, agg, o.Gpu);
            Cpu.PairCombine(f.Cpu, pairs, agg, o.Cpu);
            AssertSame(o, GpuTolerance.Exact, $"pair combine {agg}");
            var df = Random(31, rows, dim);
            Gpu.PairCombineBackward(f.Gpu, o.Gpu, pairs, agg, df.Gpu, 0.5f);
            Cpu.PairCombineBackward(f.Cpu, o.Cpu, pairs, agg, df.Cpu, 0.5f);
            AssertSame(df, GpuTolerance.Elementwise, $"pair combine backward {agg}");
        }
    }

    [TestCase(BinaryLossKind.Bce)]
    [TestCase(BinaryLossKind.Focal)]
    public void BinaryLoss(BinaryLossKind kind)
    {
        const int n = 4321;
        float[] logits = TestTensors.Random(32, n, 12f);
        logits[0] = 100f;
        logits[1] = -100f;
        var rng = new Random(33);
        float[] targets = Enumerable.Range(0, n).Select(_ => (float)rng.Next(2)).ToArray();
        var x = Both(logits, n);
        var t = Both(targets, n);
        var loss = Poisoned(2);
        var grad = Poisoned(n);
        Gpu.BinaryLoss(x.Gpu, t.Gpu, kind, 2f, 0.5f, loss.Gpu, grad.Gpu);
        Cpu.BinaryLoss(x.Cpu, t.Cpu, kind, 2f, 0.5f, loss.Cpu, grad.Cpu);
        AssertSame(loss, GpuTolerance.Loss, $"{kind} loss and accuracy");
        AssertSame(grad, GpuTolerance.Loss, $"{kind} gradient");
    }

    [Test]
    public void SoftmaxCrossEntropy()
    {
        const int n = 300, c = 10;
        var rng = new Random(34);
        var x = Both(TestTensors.Random(35, n * c, 8f), n, c);
        var labels = Both(Enumerable.Range(0, n).Select(_ => (float)rng.Next(c)).ToArray(), n);
        var loss = Poisoned(2);
        var grad = Poisoned(n, c);
        Gpu.SoftmaxCrossEntropy(x.Gpu, labels.Gpu, loss.Gpu, grad.Gpu);
        Cpu.SoftmaxCrossEntropy(x.Cpu, labels.Cpu, loss.Cpu, grad.Cpu);
        AssertSame(loss, GpuTolerance.Loss, "cross-entropy loss and accuracy");
        AssertSame(grad, GpuTolerance.Loss, "cross-entropy gradient");
    }

    [Test]
    public void Optimizers_AdamAndSgd()
    {
        const int n = 2049;
        var p = Random(36, n);
        var m = Both(new float[n], n);
        var v = Both(new float[n], n);
        var buf = Both(new float[n], n);
        for (int step = 1; step <= 3; step++)
        {
            var g = Random(36 + step, n);
            Gpu.AdamStep(p.Gpu, g.Gpu, m.Gpu, v.Gpu, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            Cpu.AdamStep(p.Cpu, g.Cpu, m.Cpu, v.Cpu, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            Gpu.SgdStep(p.Gpu, g.Gpu, buf.Gpu, 0.01f, 0.9f, 1e-4f, step == 2, step == 1);
            Cpu.SgdStep(p.Cpu, g.Cpu, buf.Cpu, 0.01f, 0.9f, 1e-4f, step == 2, step == 1);
        }
        AssertSame(p, GpuTolerance.Optimizer, "parameters");
        AssertSame(m, GpuTolerance.Optimizer, "adam m");
        AssertSame(v, GpuTolerance.Optimizer, "adam v");
        AssertSame(buf, GpuTolerance.Optimizer, "sgd buffer");
    }
}
