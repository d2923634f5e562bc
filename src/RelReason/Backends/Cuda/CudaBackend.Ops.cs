using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Tensors;

namespace RelReason.Backends.Cuda;

// Matrix products (cuBLAS) and the ops served by kernels/*.cu.
public sealed unsafe partial class CudaBackend
{
    /// <inheritdoc />
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float alpha, float beta)
    {
        var (m, n, k) = ShapeCheck.Gemm(a, transposeA, b, transposeB, c);
        if (m == 0 || n == 0)
        {
            return;
        }
        // cuBLAS is column-major: the row-major product runs as C^T = op(B)^T op(A)^T (see ColumnMajorGemm).
        var g = ColumnMajorGemm.ForRowMajor(transposeA, transposeB, m, n, k);
        cublasOperation first = g.TransposeFirst ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        cublasOperation second = g.TransposeSecond ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        DevicePtr pa = Ptr(a), pb = Ptr(b), pc = Ptr(c);
        CuBlas.Check(CuBlas.cublasSgemm(_device.BlasValue, first, second, g.M, g.N, g.K, &alpha, pb.Address,
            g.LeadingFirst, pa.Address, g.LeadingSecond, &beta, pc.Address, g.LeadingC));
    }

    /// <inheritdoc />
    public void Add(Tensor a, Tensor b, Tensor y)
    {
        ShapeCheck.SameLength("add", a, b);
        ShapeCheck.SameLength("add", a, y);
        _elementwise.Add(Ptr(a), Ptr(b), Ptr(y), a.Length);
    }

    /// <inheritdoc />
    public void Accumulate(Tensor x, Tensor y, float beta)
    {
        ShapeCheck.SameLength("accumulate", x, y);
        _elementwise.Accumulate(Ptr(x), Ptr(y), x.Length, beta);
    }

    /// <inheritdoc />
    public void AddBias(Tensor y, Tensor bias)
    {
        int n = checked((int)bias.Length);
        if (n == 0 || y.Length % n != 0)
        {
            throw new ArgumentException(
                $"add bias: {y.Describe()} is not a whole number of rows of {bias.Describe()}");
        }
        _bias.Add(Ptr(y), KernelLaunch.Count(y.Length / n, "add bias"), n, Ptr(bias));
    }

    /// <inheritdoc />
    public void BiasBackward(Tensor dy, Tensor dBias, float beta)
    {
        int n = checked((int)dBias.Length);
        if (n == 0 || dy.Length % n != 0)
        {
            throw new ArgumentException($"bias backward: {dy.Describe()} is not a whole number of rows of {n}");
        }
        int rows = KernelLaunch.Count(dy.Length / n, "bias backward");
        DevicePtr scratch = _scratch.Floats(BiasKernels.ScratchFloats(rows, n));
        _bias.Backward(Ptr(dy), rows, n, Ptr(dBias), beta, scratch);
    }

    /// <inheritdoc />
    public void LeakyReluForward(Tensor x, Tensor y, float slope)
    {
        ShapeCheck.SameLength("leaky relu", x, y);
        _elementwise.LeakyReluForward(Ptr(x), Ptr(y), x.Length, slope);
    }

    /// <inheritdoc />
    public void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope, float beta)
    {
        ShapeCheck.SameLength("leaky relu backward", x, dy);
        ShapeCheck.SameLength("leaky relu backward", x, dx);
        _elementwise.LeakyReluBackward(Ptr(x), Ptr(dy), Ptr(dx), x.Length, slope, beta);
    }

    /// <inheritdoc />
    public void GlobalAvgPoolForward(Tensor x, Tensor y)
    {
        ShapeCheck.Rank("global avg pool", "input", x, 4);
        int planes = x.Shape[0] * x.Shape[1], size = x.Shape[2] * x.Shape[3];
        ShapeCheck.Elements("global avg pool", "output", y, planes);
        _pool.GlobalAvgForward(Ptr(x), Ptr(y), planes, size);
    }

    /// <inheritdoc />
    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx, float beta)
    {
        ShapeCheck.Rank("global avg pool backward", "dx", dx, 4);
        int planes = dx.Shape[0] * dx.Shape[1], size = dx.Shape[2] * dx.Shape[3];
        ShapeCheck.Elements("global avg pool backward", "dy", dy, planes);
        _pool.GlobalAvgBackward(Ptr(dy), Ptr(dx), planes, size, beta);
    }

    // ---- relation head -----------------------------------------------------------------------------------

    /// <inheritdoc />
    public void PairGatherAdd(Tensor u, Tensor bias, PairIndex pairs, Tensor z)
    {
        int h = checked((int)bias.Length);
        ShapeCheck.PairRows("pair gather-add", pairs, u, 2L * h);
        ShapeCheck.Elements("pair gather-add", "output", z, (long)pairs.Count * h);
        _pair.GatherAdd(Ptr(u), Ptr(bias), DevicePairs(pairs), h, Ptr(z));
    }

    /// <inheritdoc />
    public void PairScatterAdd(Tensor dz, PairIndex pairs, Tensor du, float beta)
    {
        int h = checked((int)(dz.Length / Math.Max(1, pairs.Count)));
        ShapeCheck.Elements("pair scatter-add", "dz", dz, (long)pairs.Count * h);
        ShapeCheck.PairRows("pair scatter-add", pairs, du, 2L * h);
        _pair.ScatterAdd(Ptr(dz), DevicePairs(pairs), h, Ptr(du), beta);
    }

    /// <inheritdoc />
    public void PairCombine(Tensor f, PairIndex pairs, Aggregation agg, Tensor output)
    {
        int d = checked((int)(f.Length / Math.Max(1, pairs.K * pairs.M)));
        ShapeCheck.PairRows("pair combine", pairs, f, d);
        int width = agg == Aggregation.Cat ? 2 * d : d;
        ShapeCheck.Elements("pair combine", "output", output, (long)pairs.Count * width);
        _pair.Combine(Ptr(f), DevicePairs(pairs), d, agg, Ptr(output));
    }

    /// <inheritdoc />
    public void PairCombineBackward(Tensor f, Tensor dOut, PairIndex pairs, Aggregation agg, Tensor df, float beta)
    {
        int d = checked((int)(f.Length / Math.Max(1, pairs.K * pairs.M)));
        ShapeCheck.PairRows("pair combine backward", pairs, f, d);
        ShapeCheck.SameLength("pair combine backward", f, df);
        int width = agg == Aggregation.Cat ? 2 * d : d;
        ShapeCheck.Elements("pair combine backward", "dOut", dOut, (long)pairs.Count * width);
        _pair.CombineBackward(Ptr(f), Ptr(dOut), DevicePairs(pairs), d, agg, Ptr(df), beta);
    }

    // ---- losses ------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void BinaryLoss(Tensor logits, Tensor targets, BinaryLossKind kind, float gamma, float alpha, Tensor loss,
        Tensor dLogits)
    {
        ShapeCheck.NotEmpty("binary loss", logits);
        ShapeCheck.SameLength("binary loss", logits, targets);
        ShapeCheck.SameLength("binary loss", logits, dLogits);
        ShapeCheck.Elements("binary loss", "loss", loss, 2);
        int n = KernelLaunch.Count(logits.Length, "binary loss");
        _loss.Binary(Ptr(logits), Ptr(targets), n, kind, gamma, alpha, Ptr(loss), Ptr(dLogits),
            _scratch.Floats(LossKernels.ScratchFloats(n)));
    }

    /// <inheritdoc />
    /// <remarks>Labels stay on the device, so an invalid label is no exception here: it makes loss[0] NaN.</remarks>
    public void SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits)
    {
        var (n, c) = ShapeCheck.SoftmaxCrossEntropy(logits, labels, loss, dLogits);
        _loss.SoftmaxCrossEntropy(Ptr(logits), Ptr(labels), n, c, Ptr(loss), Ptr(dLogits),
            _scratch.Floats(LossKernels.ScratchFloats(n)));
    }

    // ---- optimisers --------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step)
    {
        ShapeCheck.SameLength("adam", param, grad);
        ShapeCheck.SameLength("adam", param, m);
        ShapeCheck.SameLength("adam", param, v);
        _optim.Adam(Ptr(param), Ptr(grad), Ptr(m), Ptr(v), param.Length, lr, beta1, beta2, eps, weightDecay, step);
    }

    /// <inheritdoc />
    public void SgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay,
        bool nesterov, bool firstStep)
    {
        ShapeCheck.SameLength("sgd", param, grad);
        ShapeCheck.SameLength("sgd", param, momentumBuffer);
        _optim.Sgd(Ptr(param), Ptr(grad), Ptr(momentumBuffer), param.Length, lr, momentum, weightDecay, nesterov,
            firstStep);
    }
}
