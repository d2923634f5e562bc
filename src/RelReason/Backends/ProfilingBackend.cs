using System.Diagnostics;
using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Backends;

/// <summary>
/// Wraps a backend and adds up the wall time of each op (synchronising after each one, so GPU times are real).
/// For `relreason bench --profile`: it slows the step down and is never used for the numbers bench reports.
/// </summary>
public sealed class ProfilingBackend(IBackend inner) : IBackend
{
    private readonly Dictionary<string, (double Ms, int Calls)> _totals = new();

    public IBackend Inner => inner;

    public string Name => inner.Name;

    public string Description => inner.Description + " [profiling]";

    public string Arithmetic => inner.Arithmetic;

    /// <summary>Per-op totals, largest first.</summary>
    public IReadOnlyList<(string Op, double Ms, int Calls)> Totals =>
        _totals.OrderByDescending(t => t.Value.Ms).Select(t => (t.Key, t.Value.Ms, t.Value.Calls)).ToList();

    public void Reset() => _totals.Clear();

    private void Time(string op, Action body)
    {
        long start = Stopwatch.GetTimestamp();
        body();
        Record(op, start);
    }

    /// <summary>Waits for the op that started at <paramref name="start"/> and adds its time to the totals.</summary>
    private void Record(string op, long start)
    {
        inner.Synchronize();
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var (total, calls) = _totals.GetValueOrDefault(op);
        _totals[op] = (total + ms, calls + 1);
    }

    public Tensor Empty(Shape shape) => inner.Empty(shape);

    public void Upload(ReadOnlySpan<float> source, Tensor destination) => inner.Upload(source, destination);

    public void Download(Tensor source, Span<float> destination) => inner.Download(source, destination);

    public void Fill(Tensor destination, float value) => Time("fill", () => inner.Fill(destination, value));

    public void Copy(Tensor source, Tensor destination) => Time("copy", () => inner.Copy(source, destination));

    public void Synchronize() => inner.Synchronize();

    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float alpha, float beta) =>
        Time($"gemm {(transposeA ? "T" : "N")}{(transposeB ? "T" : "N")}",
            () => inner.Gemm(a, transposeA, b, transposeB, c, alpha, beta));

    public void Add(Tensor a, Tensor b, Tensor y) => Time("add", () => inner.Add(a, b, y));

    public void Accumulate(Tensor x, Tensor y, float beta) => Time("accumulate", () => inner.Accumulate(x, y, beta));

    public void AddBias(Tensor y, Tensor bias) => Time("bias", () => inner.AddBias(y, bias));

    public void BiasBackward(Tensor dy, Tensor dBias, float beta) =>
        Time("bias backward", () => inner.BiasBackward(dy, dBias, beta));

    public void ReluForward(Tensor x, Tensor y) => Time("relu", () => inner.ReluForward(x, y));

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx, float beta) =>
        Time("relu backward", () => inner.ReluBackward(y, dy, dx, beta));

    public void LeakyReluForward(Tensor x, Tensor y, float slope) =>
        Time("leaky relu", () => inner.LeakyReluForward(x, y, slope));

    public void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope, float beta) =>
        Time("leaky relu backward", () => inner.LeakyReluBackward(x, dy, dx, slope, beta));

    public void ConvForward(Tensor x, Tensor w, Tensor y, ConvGeometry g) =>
        Time($"conv {g.KernelH}x{g.KernelW} {g.InChannels}->{g.OutChannels}", () => inner.ConvForward(x, w, y, g));

    public void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, float beta) =>
        Time($"conv backward data {g.KernelH}x{g.KernelW} {g.InChannels}->{g.OutChannels}",
            () => inner.ConvBackwardData(dy, w, dx, g, beta));

    public void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, ConvGeometry g, float beta) =>
        Time($"conv backward filter {g.KernelH}x{g.KernelW} {g.InChannels}->{g.OutChannels}",
            () => inner.ConvBackwardFilter(x, dy, dw, g, beta));

    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps) =>
        Time(x.Shape.Rank == 2 ? "batch norm 1d" : "batch norm 2d", () => inner.BatchNormForwardTraining(x, gamma,
            betaParam, y, runMean, runVar, saveMean, saveInvStd, momentum, eps));

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, double eps) =>
        Time("batch norm (eval)", () => inner.BatchNormForwardInference(x, gamma, betaParam, y, runMean, runVar, eps));

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
        Tensor dGamma, Tensor dBetaParam, float dxBeta) =>
        Time(x.Shape.Rank == 2 ? "batch norm 1d backward" : "batch norm 2d backward", () => inner.BatchNormBackward(x,
            dy, gamma, saveMean, saveInvStd, dx, dGamma, dBetaParam, dxBeta));

    public void BatchNormReluForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps) =>
        Time("batch norm + relu", () => inner.BatchNormReluForwardTraining(x, gamma, betaParam, y, runMean, runVar,
            saveMean, saveInvStd, momentum, eps));

    public void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta) =>
        Time("batch norm + relu backward", () => inner.BatchNormReluBackward(x, y, dy, gamma, saveMean, saveInvStd, dx,
            dGamma, dBetaParam, dxBeta));

    public void BatchNormAddReluForwardTraining(Tensor x, Tensor residual, Tensor gamma, Tensor betaParam, Tensor y,
        Tensor runMean, Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps) =>
        Time("batch norm + add + relu", () => inner.BatchNormAddReluForwardTraining(x, residual, gamma, betaParam, y,
            runMean, runVar, saveMean, saveInvStd, momentum, eps));

    public void BatchNormAddReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor saveMean,
        Tensor saveInvStd, Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta, Tensor? dResidual,
        float residualBeta) =>
        Time("batch norm + add + relu backward", () => inner.BatchNormAddReluBackward(x, y, dy, gamma, saveMean,
            saveInvStd, dx, dGamma, dBetaParam, dxBeta, dResidual, residualBeta));

    public void AvgPoolForward(Tensor x, Tensor y, PoolGeometry p) =>
        Time("avg pool", () => inner.AvgPoolForward(x, y, p));

    public void AvgPoolBackward(Tensor dy, Tensor dx, PoolGeometry p, float beta) =>
        Time("avg pool backward", () => inner.AvgPoolBackward(dy, dx, p, beta));

    public void MaxPoolForward(Tensor x, Tensor y, PoolGeometry p) =>
        Time("max pool", () => inner.MaxPoolForward(x, y, p));

    public void MaxPoolBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, PoolGeometry p, float beta) =>
        Time("max pool backward", () => inner.MaxPoolBackward(x, y, dy, dx, p, beta));

    public void GlobalAvgPoolForward(Tensor x, Tensor y) => Time("global pool", () => inner.GlobalAvgPoolForward(x, y));

    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx, float beta) =>
        Time("global pool backward", () => inner.GlobalAvgPoolBackward(dy, dx, beta));

    public void PairGatherAdd(Tensor u, Tensor bias, PairIndex pairs, Tensor z) =>
        Time("pair gather-add", () => inner.PairGatherAdd(u, bias, pairs, z));

    public void PairScatterAdd(Tensor dz, PairIndex pairs, Tensor du, float beta) =>
        Time("pair scatter-add", () => inner.PairScatterAdd(dz, pairs, du, beta));

    public void PairCombine(Tensor f, PairIndex pairs, Aggregation agg, Tensor output) =>
        Time("pair combine", () => inner.PairCombine(f, pairs, agg, output));

    public void PairCombineBackward(Tensor f, Tensor dOut, PairIndex pairs, Aggregation agg, Tensor df, float beta) =>
        Time("pair combine backward", () => inner.PairCombineBackward(f, dOut, pairs, agg, df, beta));

    public void BinaryLoss(Tensor logits, Tensor targets, BinaryLossKind kind, float gamma, float alpha, Tensor loss,
        Tensor dLogits) =>
        Time("binary loss", () => inner.BinaryLoss(logits, targets, kind, gamma, alpha, loss, dLogits));

    public void SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits) =>
        Time("cross-entropy", () => inner.SoftmaxCrossEntropy(logits, labels, loss, dLogits));

    public void AugmentViews(Augmenter augmenter, ReadOnlySpan<byte> images, ReadOnlySpan<int> imageIds, int seed,
        int epoch, int k, Tensor views)
    {
        // Spans cannot be captured by Time's lambda.
        long start = Stopwatch.GetTimestamp();
        inner.AugmentViews(augmenter, images, imageIds, seed, epoch, k, views);
        Record("augment views", start);
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step) =>
        Time("adam", () => inner.AdamStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step));

    public void SgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay,
        bool nesterov, bool firstStep) =>
        Time("sgd", () => inner.SgdStep(param, grad, momentumBuffer, lr, momentum, weightDecay, nesterov, firstStep));

    public void Dispose() => inner.Dispose();
}
