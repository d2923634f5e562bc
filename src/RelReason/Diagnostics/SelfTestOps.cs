using RelReason.Backends;
using RelReason.Data.Augmentation;
using RelReason.Nn;

namespace RelReason.Diagnostics;

/// <summary>
/// Every op of the backend contract on the candidate against the reference, on the same inputs. Shapes are odd
/// sizes that divide no block size; outputs written with "=" start as NaN so that an unwritten element fails.
/// </summary>
internal static class SelfTestOps
{
    internal static IEnumerable<SelfTestCase> Cases()
    {
        yield return new("memory", Memory);
        yield return new("gemm", Gemm);
        yield return new("elementwise", Elementwise);
        yield return new("relu", Relu);
        foreach (ConvGeometry g in ConvGeometries)
        {
            string name = $"conv {g.N}x{g.InChannels}x{g.Height}x{g.Width}->{g.OutChannels} " +
                $"k{g.KernelH} s{g.Stride} p{g.Pad}";
            yield return new(name, c => Conv(c, g));
        }
        foreach (int[] dims in BatchNormShapes)
        {
            yield return new($"batch norm {string.Join("x", dims)}", c => BatchNorm(c, dims));
        }
        foreach (PoolGeometry p in PoolGeometries)
        {
            yield return new($"pooling k{p.Kernel} s{p.Stride} p{p.Pad}", c => Pooling(c, p));
        }
        yield return new("global avg pool", GlobalAvgPool);
        yield return new("relation head", RelationHead);
        yield return new("binary loss bce", c => BinaryLoss(c, BinaryLossKind.Bce));
        yield return new("binary loss focal", c => BinaryLoss(c, BinaryLossKind.Focal));
        yield return new("softmax cross-entropy", SoftmaxCrossEntropy);
        yield return new("optimizers", Optimizers);
        yield return new("augment views 28x28x1", c => AugmentViews(c, 28, 28, 1, 28, 64, 4));
        yield return new("augment views 40x36x3 -> 19", c => AugmentViews(c, 40, 36, 3, 19, 13, 5));
    }

    private static readonly ConvGeometry[] ConvGeometries =
    [
        new(4, 3, 17, 15, 8, 3, 3, 1, 1),
        new(3, 8, 16, 16, 16, 3, 3, 2, 1),
        new(2, 16, 9, 9, 32, 1, 1, 1, 0),
        new(2, 3, 32, 32, 16, 7, 7, 2, 3),
    ];

    private static readonly int[][] BatchNormShapes = [[6, 5, 7, 9], [40, 16, 1, 1], [64, 256]];

    private static readonly PoolGeometry[] PoolGeometries = [new(2, 2, 0), new(3, 2, 1), new(3, 1, 1)];

    private static void Memory(BackendComparer c)
    {
        float[] values = BackendComparer.Uniform(1, 1031);
        TensorPair t = c.Both(values, 1031);
        c.Compare(BackendComparer.Read(c.Candidate, t.Candidate), values, GpuTolerances.Exact, "upload and download");
        TensorPair copy = c.Poisoned(1031);
        c.Candidate.Copy(t.Candidate, copy.Candidate);
        c.Reference.Copy(t.Reference, copy.Reference);
        c.Compare(copy, GpuTolerances.Exact, "copy");
        c.Candidate.Fill(t.Candidate, 3.25f);
        c.Reference.Fill(t.Reference, 3.25f);
        c.Compare(t, GpuTolerances.Exact, "fill");
    }

    private static void Gemm(BackendComparer c)
    {
        const int m = 37, n = 53, k = 291;
        (bool, bool, float)[] variants = [(false, false, 0f), (true, false, 0.5f), (false, true, 1f), (true, true, 0f)];
        foreach (var (ta, tb, beta) in variants)
        {
            TensorPair a = ta ? c.Random(2, k, m) : c.Random(2, m, k);
            TensorPair b = tb ? c.Random(3, n, k) : c.Random(3, k, n);
            TensorPair y = beta == 0 ? c.Poisoned(m, n) : c.Random(4, m, n);
            c.Candidate.Gemm(a.Candidate, ta, b.Candidate, tb, y.Candidate, 0.75f, beta);
            c.Reference.Gemm(a.Reference, ta, b.Reference, tb, y.Reference, 0.75f, beta);
            c.Compare(y, GpuTolerances.Gemm, $"{(ta ? "T" : "N")}{(tb ? "T" : "N")}, beta {beta}");
        }
    }

    private static void Elementwise(BackendComparer c)
    {
        const int rows = 77, cols = 33;
        TensorPair a = c.Random(5, rows, cols);
        TensorPair b = c.Random(6, rows, cols);
        TensorPair y = c.Poisoned(rows, cols);
        c.Candidate.Add(a.Candidate, b.Candidate, y.Candidate);
        c.Reference.Add(a.Reference, b.Reference, y.Reference);
        c.Compare(y, GpuTolerances.Exact, "add");
        c.Candidate.Accumulate(a.Candidate, y.Candidate, 0.5f);
        c.Reference.Accumulate(a.Reference, y.Reference, 0.5f);
        c.Compare(y, GpuTolerances.Elementwise, "accumulate");
        TensorPair bias = c.Random(7, cols);
        c.Candidate.AddBias(y.Candidate, bias.Candidate);
        c.Reference.AddBias(y.Reference, bias.Reference);
        c.Compare(y, GpuTolerances.Exact, "add bias");
        TensorPair dBias = c.Random(8, cols);
        c.Candidate.BiasBackward(a.Candidate, dBias.Candidate, 1f);
        c.Reference.BiasBackward(a.Reference, dBias.Reference, 1f);
        c.Compare(dBias, GpuTolerances.Sums, "bias backward");
        TensorPair leaky = c.Poisoned(rows, cols);
        c.Candidate.LeakyReluForward(a.Candidate, leaky.Candidate, 0.01f);
        c.Reference.LeakyReluForward(a.Reference, leaky.Reference, 0.01f);
        c.Compare(leaky, GpuTolerances.Exact, "leaky relu");
        TensorPair dx = c.Poisoned(rows, cols);
        c.Candidate.LeakyReluBackward(a.Candidate, b.Candidate, dx.Candidate, 0.01f, 0f);
        c.Reference.LeakyReluBackward(a.Reference, b.Reference, dx.Reference, 0.01f, 0f);
        c.Compare(dx, GpuTolerances.Exact, "leaky relu backward");
    }

    private static void Relu(BackendComparer c)
    {
        TensorPair x = c.Random(9, 5, 7, 11, 3);
        TensorPair y = c.Poisoned(5, 7, 11, 3);
        c.Candidate.ReluForward(x.Candidate, y.Candidate);
        c.Reference.ReluForward(x.Reference, y.Reference);
        c.Compare(y, GpuTolerances.Exact, "forward");
        TensorPair dy = c.Random(10, 5, 7, 11, 3);
        foreach (float beta in new[] { 0f, 1f })
        {
            TensorPair dx = beta == 0 ? c.Poisoned(5, 7, 11, 3) : c.Random(11, 5, 7, 11, 3);
            c.Candidate.ReluBackward(y.Candidate, dy.Candidate, dx.Candidate, beta);
            c.Reference.ReluBackward(y.Reference, dy.Reference, dx.Reference, beta);
            c.Compare(dx, GpuTolerances.Elementwise, $"backward, beta {beta}");
        }
    }

    private static void Conv(BackendComparer c, ConvGeometry g)
    {
        TensorPair x = c.Random(12, g.N, g.InChannels, g.Height, g.Width);
        TensorPair w = c.Random(13, g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        TensorPair y = c.Poisoned(g.N, g.OutChannels, g.OutHeight, g.OutWidth);
        c.Candidate.ConvForward(x.Candidate, w.Candidate, y.Candidate, g);
        c.Reference.ConvForward(x.Reference, w.Reference, y.Reference, g);
        c.Compare(y, GpuTolerances.Conv, "forward");
        TensorPair dy = c.Random(14, g.N, g.OutChannels, g.OutHeight, g.OutWidth);
        TensorPair dx = c.Random(15, g.N, g.InChannels, g.Height, g.Width);
        c.Candidate.ConvBackwardData(dy.Candidate, w.Candidate, dx.Candidate, g, 1f);
        c.Reference.ConvBackwardData(dy.Reference, w.Reference, dx.Reference, g, 1f);
        c.Compare(dx, GpuTolerances.Conv, "backward data (beta 1)");
        TensorPair dw = c.Poisoned(g.OutChannels, g.InChannels, g.KernelH, g.KernelW);
        c.Candidate.ConvBackwardFilter(x.Candidate, dy.Candidate, dw.Candidate, g, 0f);
        c.Reference.ConvBackwardFilter(x.Reference, dy.Reference, dw.Reference, g, 0f);
        c.Compare(dw, GpuTolerances.Conv, "backward filter");
    }

    private static void BatchNorm(BackendComparer c, int[] dims)
    {
        int ch = dims[1];
        int count = dims.Aggregate(1, (p, d) => p * d);
        TensorPair x = c.Both(BackendComparer.Uniform(16, count, 2f, 0.5f), dims);
        TensorPair gamma = c.Both(BackendComparer.Uniform(17, ch, 0.5f, 1f), ch);
        TensorPair beta = c.Random(18, ch);
        TensorPair runMean = c.Random(19, ch);
        TensorPair runVar = c.Both(BackendComparer.Uniform(20, ch, 0.2f, 1f), ch);
        TensorPair y = c.Poisoned(dims);
        TensorPair saveMean = c.Poisoned(ch);
        TensorPair saveInv = c.Poisoned(ch);
        c.Candidate.BatchNormForwardTraining(x.Candidate, gamma.Candidate, beta.Candidate, y.Candidate,
            runMean.Candidate, runVar.Candidate, saveMean.Candidate, saveInv.Candidate, 0.1, 1e-5);
        c.Reference.BatchNormForwardTraining(x.Reference, gamma.Reference, beta.Reference, y.Reference,
            runMean.Reference, runVar.Reference, saveMean.Reference, saveInv.Reference, 0.1, 1e-5);
        c.Compare(y, GpuTolerances.BatchNorm, "training y");
        c.Compare(saveMean, GpuTolerances.BatchNorm, "saved mean");
        c.Compare(saveInv, GpuTolerances.BatchNorm, "saved 1/std");
        c.Compare(runMean, GpuTolerances.BatchNorm, "running mean");
        c.Compare(runVar, GpuTolerances.BatchNorm, "running var (unbiased)");
        TensorPair dy = c.Random(21, dims);
        TensorPair dx = c.Poisoned(dims);
        TensorPair dGamma = c.Random(22, ch);
        TensorPair dBeta = c.Random(23, ch);
        c.Candidate.BatchNormBackward(x.Candidate, dy.Candidate, gamma.Candidate, saveMean.Candidate,
            saveInv.Candidate, dx.Candidate, dGamma.Candidate, dBeta.Candidate, 0f);
        c.Reference.BatchNormBackward(x.Reference, dy.Reference, gamma.Reference, saveMean.Reference,
            saveInv.Reference, dx.Reference, dGamma.Reference, dBeta.Reference, 0f);
        c.Compare(dx, GpuTolerances.BatchNorm, "dx");
        c.Compare(dGamma, GpuTolerances.BatchNorm, "dgamma (accumulated)");
        c.Compare(dBeta, GpuTolerances.BatchNorm, "dbeta (accumulated)");
        TensorPair yInf = c.Poisoned(dims);
        c.Candidate.BatchNormForwardInference(x.Candidate, gamma.Candidate, beta.Candidate, yInf.Candidate,
            runMean.Candidate, runVar.Candidate, 1e-5);
        c.Reference.BatchNormForwardInference(x.Reference, gamma.Reference, beta.Reference, yInf.Reference,
            runMean.Reference, runVar.Reference, 1e-5);
        c.Compare(yInf, GpuTolerances.BatchNorm, "inference y");
    }

    private static void Pooling(BackendComparer c, PoolGeometry p)
    {
        const int n = 3, ch = 5, h = 13, w = 11;
        int oh = p.OutSize(h), ow = p.OutSize(w);
        TensorPair x = c.Random(24, n, ch, h, w);
        TensorPair avg = c.Poisoned(n, ch, oh, ow);
        c.Candidate.AvgPoolForward(x.Candidate, avg.Candidate, p);
        c.Reference.AvgPoolForward(x.Reference, avg.Reference, p);
        c.Compare(avg, GpuTolerances.Sums, "avg pool");
        TensorPair dy = c.Random(25, n, ch, oh, ow);
        TensorPair dx = c.Random(26, n, ch, h, w);
        c.Candidate.AvgPoolBackward(dy.Candidate, dx.Candidate, p, 1f);
        c.Reference.AvgPoolBackward(dy.Reference, dx.Reference, p, 1f);
        c.Compare(dx, GpuTolerances.Sums, "avg pool backward (beta 1)");
        TensorPair max = c.Poisoned(n, ch, oh, ow);
        c.Candidate.MaxPoolForward(x.Candidate, max.Candidate, p);
        c.Reference.MaxPoolForward(x.Reference, max.Reference, p);
        c.Compare(max, GpuTolerances.Exact, "max pool");
        TensorPair dxMax = c.Poisoned(n, ch, h, w);
        c.Candidate.MaxPoolBackward(x.Candidate, max.Candidate, dy.Candidate, dxMax.Candidate, p, 0f);
        c.Reference.MaxPoolBackward(x.Reference, max.Reference, dy.Reference, dxMax.Reference, p, 0f);
        c.Compare(dxMax, GpuTolerances.Sums, "max pool backward");
    }

    private static void GlobalAvgPool(BackendComparer c)
    {
        TensorPair x = c.Random(27, 6, 70, 4, 4);
        TensorPair y = c.Poisoned(6, 70);
        c.Candidate.GlobalAvgPoolForward(x.Candidate, y.Candidate);
        c.Reference.GlobalAvgPoolForward(x.Reference, y.Reference);
        c.Compare(y, GpuTolerances.Sums, "forward");
        TensorPair dx = c.Poisoned(6, 70, 4, 4);
        c.Candidate.GlobalAvgPoolBackward(y.Candidate, dx.Candidate, 0f);
        c.Reference.GlobalAvgPoolBackward(y.Reference, dx.Reference, 0f);
        c.Compare(dx, GpuTolerances.Sums, "backward");
    }

    private static void RelationHead(BackendComparer c)
    {
        PairIndex pairs = PairIndex.Build(5, 9);
        const int rows = 45, hidden = 37, dim = 19;
        TensorPair u = c.Random(28, rows, hidden, 2);
        TensorPair bias = c.Random(29, hidden);
        TensorPair z = c.Poisoned(pairs.Count, hidden);
        c.Candidate.PairGatherAdd(u.Candidate, bias.Candidate, pairs, z.Candidate);
        c.Reference.PairGatherAdd(u.Reference, bias.Reference, pairs, z.Reference);
        c.Compare(z, GpuTolerances.Exact, "pair gather-add");
        TensorPair du = c.Poisoned(rows, hidden, 2);
        c.Candidate.PairScatterAdd(z.Candidate, pairs, du.Candidate, 0f);
        c.Reference.PairScatterAdd(z.Reference, pairs, du.Reference, 0f);
        c.Compare(du, GpuTolerances.Exact, "pair scatter-add");
        TensorPair f = c.Random(30, rows, dim);
        foreach (Aggregation agg in Enum.GetValues<Aggregation>())
        {
            int width = agg == Aggregation.Cat ? 2 * dim : dim;
            TensorPair o = c.Poisoned(pairs.Count, width);
            c.Candidate.PairCombine(f.Candidate, pairs, agg, o.Candidate);
            c.Reference.PairCombine(f.Reference, pairs, agg, o.Reference);
            c.Compare(o, GpuTolerances.Exact, $"pair combine {agg}");
            TensorPair df = c.Random(31, rows, dim);
            c.Candidate.PairCombineBackward(f.Candidate, o.Candidate, pairs, agg, df.Candidate, 0.5f);
            c.Reference.PairCombineBackward(f.Reference, o.Reference, pairs, agg, df.Reference, 0.5f);
            c.Compare(df, GpuTolerances.Elementwise, $"pair combine backward {agg}");
        }
    }

    private static void BinaryLoss(BackendComparer c, BinaryLossKind kind)
    {
        const int n = 4321;
        float[] logits = BackendComparer.Uniform(32, n, 12f);
        // Saturated logits: the loss must stay finite and keep its digits there.
        logits[0] = 100f;
        logits[1] = -100f;
        var rng = new InitRandom(33);
        float[] targets = Enumerable.Range(0, n).Select(_ => (float)(rng.NextUInt64() & 1)).ToArray();
        TensorPair x = c.Both(logits, n);
        TensorPair t = c.Both(targets, n);
        TensorPair loss = c.Poisoned(2);
        TensorPair grad = c.Poisoned(n);
        c.Candidate.BinaryLoss(x.Candidate, t.Candidate, kind, 2f, 0.5f, loss.Candidate, grad.Candidate);
        c.Reference.BinaryLoss(x.Reference, t.Reference, kind, 2f, 0.5f, loss.Reference, grad.Reference);
        c.Compare(loss, GpuTolerances.Loss, "loss and accuracy");
        c.Compare(grad, GpuTolerances.Loss, "gradient");
    }

    private static void SoftmaxCrossEntropy(BackendComparer c)
    {
        const int n = 300, classes = 10;
        var rng = new InitRandom(34);
        TensorPair x = c.Both(BackendComparer.Uniform(35, n * classes, 8f), n, classes);
        float[] classIds = Enumerable.Range(0, n).Select(_ => (float)(rng.NextUInt64() % classes)).ToArray();
        TensorPair labels = c.Both(classIds, n);
        TensorPair loss = c.Poisoned(2);
        TensorPair grad = c.Poisoned(n, classes);
        c.Candidate.SoftmaxCrossEntropy(x.Candidate, labels.Candidate, loss.Candidate, grad.Candidate);
        c.Reference.SoftmaxCrossEntropy(x.Reference, labels.Reference, loss.Reference, grad.Reference);
        c.Compare(loss, GpuTolerances.Loss, "loss and accuracy");
        c.Compare(grad, GpuTolerances.Loss, "gradient");
    }

    private static void Optimizers(BackendComparer c)
    {
        const int n = 2049;
        TensorPair p = c.Random(36, n);
        TensorPair m = c.Both(new float[n], n);
        TensorPair v = c.Both(new float[n], n);
        TensorPair buf = c.Both(new float[n], n);
        for (int step = 1; step <= 3; step++)
        {
            TensorPair g = c.Random(36 + step, n);
            c.Candidate.AdamStep(p.Candidate, g.Candidate, m.Candidate, v.Candidate, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f,
                step);
            c.Reference.AdamStep(p.Reference, g.Reference, m.Reference, v.Reference, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f,
                step);
            c.Candidate.SgdStep(p.Candidate, g.Candidate, buf.Candidate, 0.01f, 0.9f, 1e-4f, step == 2, step == 1);
            c.Reference.SgdStep(p.Reference, g.Reference, buf.Reference, 0.01f, 0.9f, 1e-4f, step == 2, step == 1);
        }
        c.Compare(p, GpuTolerances.Optimizer, "parameters after 3 x (Adam, SGD)");
        c.Compare(m, GpuTolerances.Optimizer, "adam m");
        c.Compare(v, GpuTolerances.Optimizer, "adam v");
        c.Compare(buf, GpuTolerances.Optimizer, "sgd momentum buffer");
    }

    private static void AugmentViews(BackendComparer c, int height, int width, int channels, int side, int m, int k)
    {
        var options = new AugmentOptions
        {
            Side = side,
            Mean = channels == 3 ? [0.49f, 0.48f, 0.45f] : [0.29f],
            Std = channels == 3 ? [0.25f, 0.24f, 0.26f] : [0.35f],
        };
        var augmenter = new Augmenter(options, height, width, channels);
        var rng = new InitRandom(41);
        var images = new byte[m * augmenter.ImageBytes];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = (byte)rng.NextUInt64();
        }
        int[] ids = Enumerable.Range(0, m).Select(i => i * 37 + 5).ToArray();
        TensorPair views = c.Poisoned(k * m, channels, side, side);
        c.Candidate.AugmentViews(augmenter, images, ids, 1234, 3, k, views.Candidate);
        c.Reference.AugmentViews(augmenter, images, ids, 1234, 3, k, views.Reference);
        c.Compare(views, GpuTolerances.Exact, $"K={k} M={m}");
    }
}
