using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Backends;

/// <summary>
/// The compute contract, at the granularity of one cuDNN or cuBLAS call. Every tensor is dense float32,
/// row-major, images NCHW. Outputs are written with "=" unless a <c>beta</c> is given, in which case
/// <c>out = result + beta * out</c> (beta 0 overwrites, 1 accumulates), as cuDNN and BLAS do. Parameter
/// gradients (dW, dgamma, dbias) always accumulate. Implementations validate shapes and throw
/// <see cref="ArgumentException"/> naming the op and the shapes; they never write out of bounds.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>"cpu" or "cuda".</summary>
    string Name { get; }

    /// <summary>One line for logs, e.g. "cpu (2 threads, OpenBLAS 0.3.21)".</summary>
    string Description { get; }

    /// <summary>What decides the bits of the results, e.g. "cpu: 2 threads, direct conv on 512-bit registers,
    /// OpenBLAS Haswell": the same op on the same inputs gives the same bits wherever this text is the same (for the
    /// CPU backend; cuDNN may pick other algorithms from run to run). Checkpoints record it, so a resumed run can
    /// say when it continues on different arithmetic.</summary>
    string Arithmetic { get; }

    // ---- memory ---------------------------------------------------------------------------------

    /// <summary>A new tensor of the given shape; contents undefined.</summary>
    Tensor Empty(Shape shape);

    void Upload(ReadOnlySpan<float> source, Tensor destination);

    void Download(Tensor source, Span<float> destination);

    void Fill(Tensor destination, float value);

    void Copy(Tensor source, Tensor destination);

    /// <summary>Waits until all queued work is done (a no-op on the CPU).</summary>
    void Synchronize();

    // ---- elementwise and matrix products -----------------------------------------------------------

    /// <summary>c = alpha * op(a) * op(b) + beta * c, for 2-d row-major views [m, k] x [k, n] -> [m, n].</summary>
    void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float alpha, float beta);

    /// <summary>y = a + b elementwise (residual add). y may alias a or b.</summary>
    void Add(Tensor a, Tensor b, Tensor y);

    /// <summary>y = x + beta * y (gradient accumulation, copies when beta is 0).</summary>
    void Accumulate(Tensor x, Tensor y, float beta);

    /// <summary>y[r, c] += bias[c] for y viewed as [rows, bias.Length].</summary>
    void AddBias(Tensor y, Tensor bias);

    /// <summary>dBias[c] = sum over rows of dy[r, c] + beta * dBias[c].</summary>
    void BiasBackward(Tensor dy, Tensor dBias, float beta);

    void ReluForward(Tensor x, Tensor y);

    /// <summary>dx = dy * (y &gt; 0) + beta * dx; takes the forward output, so x may be freed.</summary>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx, float beta);

    void LeakyReluForward(Tensor x, Tensor y, float slope);

    void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope, float beta);

    // ---- convolution (no bias) ---------------------------------------------------------------------

    void ConvForward(Tensor x, Tensor w, Tensor y, ConvGeometry g);

    void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, float beta);

    void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, ConvGeometry g, float beta);

    // ---- batch norm over x viewed as [N, C, S]: S = H*W for 2-d, S = 1 for 1-d ---------------------

    /// <summary>
    /// Normalises with batch statistics, writes the batch mean and 1/sqrt(var + eps) (biased variance) into
    /// saveMean/saveInvStd, and updates running stats: run = (1 - momentum) * run + momentum * batch, with the
    /// unbiased variance for runVar (PyTorch).
    /// </summary>
    void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps);

    void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, double eps);

    /// <summary>Backward of training-mode batch norm; dgamma and dbeta accumulate, dx uses dxBeta.</summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
        Tensor dGamma, Tensor dBetaParam, float dxBeta);

    /// <summary>
    /// Training-mode batch norm followed by ReLU (the conv -> BN -> ReLU of every backbone), in one pass where the
    /// backend can; y is the ReLU output. Same numbers as the two ops in sequence.
    /// </summary>
    void BatchNormReluForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps)
    {
        BatchNormForwardTraining(x, gamma, betaParam, y, runMean, runVar, saveMean, saveInvStd, momentum, eps);
        ReluForward(y, y);
    }

    /// <summary>
    /// Backward of <see cref="BatchNormReluForwardTraining"/>: dy is the gradient of the ReLU output y; the ReLU's
    /// gate (y &gt; 0) is applied on the fly where the backend can. dgamma and dbeta accumulate, dx uses dxBeta.
    /// </summary>
    void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta)
    {
        using var gated = Empty(dy.Shape);
        ReluBackward(y, dy, gated, 0f);
        BatchNormBackward(x, gated, gamma, saveMean, saveInvStd, dx, dGamma, dBetaParam, dxBeta);
    }

    /// <summary>
    /// ReLU(BatchNorm(x) + residual): the end of a residual block, in one pass where the backend can. Same numbers as
    /// batch norm, addition and ReLU in sequence.
    /// </summary>
    void BatchNormAddReluForwardTraining(Tensor x, Tensor residual, Tensor gamma, Tensor betaParam, Tensor y,
        Tensor runMean, Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps)
    {
        BatchNormForwardTraining(x, gamma, betaParam, y, runMean, runVar, saveMean, saveInvStd, momentum, eps);
        Add(y, residual, y);
        ReluForward(y, y);
    }

    /// <summary>
    /// Backward of <see cref="BatchNormAddReluForwardTraining"/>: the ReLU-gated dy goes to dResidual (with
    /// residualBeta; skipped when null) and through the batch-norm backward to dx, dgamma and dbeta.
    /// </summary>
    void BatchNormAddReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta, Tensor? dResidual, float residualBeta)
    {
        using var gated = Empty(dy.Shape);
        ReluBackward(y, dy, gated, 0f);
        if (dResidual != null)
        {
            Accumulate(gated, dResidual, residualBeta);
        }
        BatchNormBackward(x, gated, gamma, saveMean, saveInvStd, dx, dGamma, dBetaParam, dxBeta);
    }

    // ---- pooling -----------------------------------------------------------------------------------

    /// <summary>Average pooling, zero padding counted in the divisor (PyTorch count_include_pad=True).</summary>
    void AvgPoolForward(Tensor x, Tensor y, PoolGeometry p);

    void AvgPoolBackward(Tensor dy, Tensor dx, PoolGeometry p, float beta);

    /// <summary>Max pooling; padding never wins.</summary>
    void MaxPoolForward(Tensor x, Tensor y, PoolGeometry p);

    /// <summary>Routes dy to the first maximum of each window (recomputed from x and y).</summary>
    void MaxPoolBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, PoolGeometry p, float beta);

    /// <summary>y[n, c] = mean over H*W of x[n, c].</summary>
    void GlobalAvgPoolForward(Tensor x, Tensor y);

    void GlobalAvgPoolBackward(Tensor dy, Tensor dx, float beta);

    // ---- relation head -----------------------------------------------------------------------------

    /// <summary>
    /// The head's first layer evaluated per feature row and gathered per pair. Because the layer is linear,
    /// W [a; b] = Wa a + Wb b: with W [H, 2D] viewed as [2H, D], u = F W^T is [K*M, H, 2] where u[r, h, 0] = Wa_h . F_r
    /// and u[r, h, 1] = Wb_h . F_r. Then z[p, h] = u[Left[p], h, 0] + u[Right[p], h, 1] + bias[h], z [pairs, H].
    /// </summary>
    void PairGatherAdd(Tensor u, Tensor bias, PairIndex pairs, Tensor z);

    /// <summary>Backward of <see cref="PairGatherAdd"/>: du[r, h, 0] = sum of dz[p, h] over pairs whose left is r,
    /// du[r, h, 1] likewise over rights, with beta. The bias gradient is separate (<see
    /// cref="BiasBackward"/>).</summary>
    void PairScatterAdd(Tensor dz, PairIndex pairs, Tensor du, float beta);

    /// <summary>
    /// Explicit pair rows: out[p] = agg(f[Left[p]], f[Right[p]]). For Cat out is [pairs, 2D], otherwise
    /// [pairs, D]; Max takes the elementwise maximum, Mean the average.
    /// </summary>
    void PairCombine(Tensor f, PairIndex pairs, Aggregation agg, Tensor output);

    /// <summary>Backward of <see cref="PairCombine"/> into df (scatter-add, with beta). Max routes to the left on
    /// ties.</summary>
    void PairCombineBackward(Tensor f, Tensor dOut, PairIndex pairs, Aggregation agg, Tensor df, float beta);

    // ---- losses: forward and backward fused --------------------------------------------------------

    /// <summary>
    /// Mean binary loss of logits [P] against targets [P] (0 or 1). Writes loss[0] = the mean loss,
    /// loss[1] = the number of pairs whose rounded sigmoid equals the target, and dLogits = d(mean)/d logit.
    /// Stable for logits of any magnitude.
    /// </summary>
    void BinaryLoss(Tensor logits, Tensor targets, BinaryLossKind kind, float gamma, float alpha, Tensor loss,
        Tensor dLogits);

    /// <summary>
    /// Mean softmax cross-entropy of logits [N, C] against integer labels stored as floats [N]. Writes
    /// loss[0] = mean loss, loss[1] = number of rows whose argmax equals the label, and dLogits.
    /// </summary>
    void SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits);

    // ---- augmentation ------------------------------------------------------------------------------

    /// <summary>
    /// The K augmented views of a batch of M images: views[k*M + m] (augmentation-major) is view k of dataset image
    /// imageIds[m] under (seed, epoch), rendered by <paramref name="augmenter"/>'s pipeline from
    /// <paramref name="images"/>, host bytes [M, H, W, C] that a device backend copies up once. views is
    /// [K*M, C, S, S]. Every backend gives the same bits as <see cref="Augmenter.RenderView"/>.
    /// </summary>
    void AugmentViews(Augmenter augmenter, ReadOnlySpan<byte> images, ReadOnlySpan<int> imageIds, int seed,
        int epoch, int k, Tensor views);

    // ---- optimisers (PyTorch update rules), one call per parameter -------------------------------

    /// <summary>
    /// Adam (torch.optim.Adam, L2 weight decay added to the gradient): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
    /// p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). <paramref name="step"/> is t, starting at 1.
    /// </summary>
    void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step);

    /// <summary>
    /// SGD with momentum (torch.optim.SGD, dampening 0): g += wd p; buf = first ? g : momentum buf + g;
    /// p -= lr * (nesterov ? g + momentum buf : buf).
    /// </summary>
    void SgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay,
        bool nesterov, bool firstStep);
}
