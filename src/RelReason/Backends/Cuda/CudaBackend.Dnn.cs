using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Tensors;

namespace RelReason.Backends.Cuda;

// Convolution, batch norm, pooling and ReLU through cuDNN's legacy API. Descriptors are created once per shape
// and kept; convolution algorithms are chosen once per geometry and direction.
public sealed unsafe partial class CudaBackend
{
    /// <summary>Most workspace a convolution algorithm may ask for.</summary>
    private const long MaxWorkspaceBytes = 512L << 20;

    private readonly Dictionary<(int N, int C, int H, int W), CudnnDescriptor> _tensorDescriptors = new();
    private readonly Dictionary<ConvGeometry, ConvPlan> _convPlans = new();
    private readonly Dictionary<(PoolGeometry, cudnnPoolingMode), CudnnDescriptor> _poolDescriptors = new();
    private CudnnDescriptor? _relu;

    private nint Dnn => _device.DnnValue;

    private nint TensorDescriptor(int n, int c, int h, int w)
    {
        if (!_tensorDescriptors.TryGetValue((n, c, h, w), out CudnnDescriptor? d))
        {
            d = CudnnDescriptor.Create(CudnnDescriptorKind.Tensor);
            CuDnn.Check(CuDnn.cudnnSetTensor4dDescriptor(d.Value, cudnnTensorFormat.CUDNN_TENSOR_NCHW,
                cudnnDataType.CUDNN_DATA_FLOAT, n, c, h, w));
            _tensorDescriptors[(n, c, h, w)] = d;
        }
        return d.Value;
    }

    private void DisposeDescriptors()
    {
        foreach (CudnnDescriptor d in _tensorDescriptors.Values)
        {
            d.Dispose();
        }
        foreach (ConvPlan plan in _convPlans.Values)
        {
            plan.Filter.Dispose();
            plan.Convolution.Dispose();
        }
        foreach (CudnnDescriptor d in _poolDescriptors.Values)
        {
            d.Dispose();
        }
        _relu?.Dispose();
    }

    // ---- convolution -------------------------------------------------------------------------------------

    /// <summary>Descriptors of one convolution geometry and each direction's algorithm (-1: not chosen yet).</summary>
    private sealed class ConvPlan
    {
        internal required nint X { get; init; }

        internal required nint Y { get; init; }

        internal required CudnnDescriptor Filter { get; init; }

        internal required CudnnDescriptor Convolution { get; init; }

        internal (int Algo, long Workspace) Forward { get; set; } = (-1, 0);

        internal (int Algo, long Workspace) BackwardData { get; set; } = (-1, 0);

        internal (int Algo, long Workspace) BackwardFilter { get; set; } = (-1, 0);
    }

    private ConvPlan Plan(ConvGeometry g)
    {
        if (_convPlans.TryGetValue(g, out ConvPlan? plan))
        {
            return plan;
        }
        var filter = CudnnDescriptor.Create(CudnnDescriptorKind.Filter);
        CuDnn.Check(CuDnn.cudnnSetFilter4dDescriptor(filter.Value, cudnnDataType.CUDNN_DATA_FLOAT,
            cudnnTensorFormat.CUDNN_TENSOR_NCHW, g.OutChannels, g.InChannels, g.KernelH, g.KernelW));
        var conv = CudnnDescriptor.Create(CudnnDescriptorKind.Convolution);
        CuDnn.Check(CuDnn.cudnnSetConvolution2dDescriptor(conv.Value, g.Pad, g.Pad, g.Stride, g.Stride, 1, 1,
            cudnnConvolutionMode.CUDNN_CROSS_CORRELATION, cudnnDataType.CUDNN_DATA_FLOAT));
        // FMA math keeps float32 products exact to rounding; tensor-op math lets cuDNN use TF32 on Ampere and later.
        CuDnn.Check(CuDnn.cudnnSetConvolutionMathType(conv.Value, MathType));
        plan = new ConvPlan
        {
            X = TensorDescriptor(g.N, g.InChannels, g.Height, g.Width),
            Y = TensorDescriptor(g.N, g.OutChannels, g.OutHeight, g.OutWidth),
            Filter = filter,
            Convolution = conv,
        };
        _convPlans[g] = plan;
        return plan;
    }

    private cudnnMathType MathType =>
        _options.AllowTf32 ? cudnnMathType.CUDNN_TENSOR_OP_MATH : cudnnMathType.CUDNN_FMA_MATH;

    /// <summary>
    /// The first of cuDNN's heuristic ranking that succeeded, fits the workspace limit and uses our math type,
    /// preferring deterministic algorithms (so repeated runs give the same bits).
    /// </summary>
    private (int Algo, long Workspace) Choose(string direction, ConvGeometry g, cudnnAlgoPerf* results, int count)
    {
        int best = -1;
        for (int pass = 0; pass < 3 && best < 0; pass++)
        {
            for (int i = 0; i < count && best < 0; i++)
            {
                cudnnAlgoPerf r = results[i];
                bool usable = r.Status == cudnnStatus.CUDNN_STATUS_SUCCESS && (long)r.Memory <= MaxWorkspaceBytes;
                bool sameMath = r.MathType == (int)MathType;
                bool deterministic = r.Determinism == 1;
                if (usable && (pass == 2 || (sameMath && (pass == 1 || deterministic))))
                {
                    best = i;
                }
            }
        }
        if (best < 0)
        {
            throw new InvalidOperationException($"cuDNN offers no usable {direction} algorithm for {g}");
        }
        _options.Log?.Invoke($"cuda: {direction} {g}: algorithm {results[best].Algo}, " +
            $"{(long)results[best].Memory} bytes workspace, deterministic {results[best].Determinism == 1}");
        return (results[best].Algo, (long)results[best].Memory);
    }

    /// <inheritdoc />
    public void ConvForward(Tensor x, Tensor w, Tensor y, ConvGeometry g)
    {
        ShapeCheck.Conv("conv forward", g, x, w, y);
        DevicePtr px = Ptr(x), pw = Ptr(w), py = Ptr(y);
        ConvPlan plan = Plan(g);
        if (plan.Forward.Algo < 0)
        {
            cudnnAlgoPerf* results = stackalloc cudnnAlgoPerf[8];
            CuDnn.Check(CuDnn.cudnnGetConvolutionForwardAlgorithm_v7(Dnn, plan.X, plan.Filter.Value,
                plan.Convolution.Value, plan.Y, 8, out int count, results));
            plan.Forward = Choose("forward", g, results, count);
        }
        (int algo, long bytes) = plan.Forward;
        DevicePtr workspace = bytes > 0 ? _workspace.Get(bytes) : DevicePtr.Null;
        float alpha = 1f, beta = 0f;
        CuDnn.Check(CuDnn.cudnnConvolutionForward(Dnn, &alpha, plan.X, px.Address, plan.Filter.Value, pw.Address,
            plan.Convolution.Value, algo, workspace.Address, (nuint)bytes, &beta, plan.Y, py.Address));
    }

    /// <inheritdoc />
    public void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, float beta)
    {
        ShapeCheck.Conv("conv backward data", g, dx, w, dy);
        DevicePtr pdy = Ptr(dy), pw = Ptr(w), pdx = Ptr(dx);
        ConvPlan plan = Plan(g);
        if (plan.BackwardData.Algo < 0)
        {
            cudnnAlgoPerf* results = stackalloc cudnnAlgoPerf[6];
            CuDnn.Check(CuDnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(Dnn, plan.Filter.Value, plan.Y,
                plan.Convolution.Value, plan.X, 6, out int count, results));
            plan.BackwardData = Choose("backward data", g, results, count);
        }
        (int algo, long bytes) = plan.BackwardData;
        DevicePtr workspace = bytes > 0 ? _workspace.Get(bytes) : DevicePtr.Null;
        float alpha = 1f;
        CuDnn.Check(CuDnn.cudnnConvolutionBackwardData(Dnn, &alpha, plan.Filter.Value, pw.Address, plan.Y,
            pdy.Address, plan.Convolution.Value, algo, workspace.Address, (nuint)bytes, &beta, plan.X, pdx.Address));
    }

    /// <inheritdoc />
    public void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, ConvGeometry g, float beta)
    {
        ShapeCheck.Conv("conv backward filter", g, x, dw, dy);
        DevicePtr px = Ptr(x), pdy = Ptr(dy), pdw = Ptr(dw);
        ConvPlan plan = Plan(g);
        if (plan.BackwardFilter.Algo < 0)
        {
            cudnnAlgoPerf* results = stackalloc cudnnAlgoPerf[7];
            CuDnn.Check(CuDnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(Dnn, plan.X, plan.Y,
                plan.Convolution.Value, plan.Filter.Value, 7, out int count, results));
            plan.BackwardFilter = Choose("backward filter", g, results, count);
        }
        (int algo, long bytes) = plan.BackwardFilter;
        DevicePtr workspace = bytes > 0 ? _workspace.Get(bytes) : DevicePtr.Null;
        float alpha = 1f;
        CuDnn.Check(CuDnn.cudnnConvolutionBackwardFilter(Dnn, &alpha, plan.X, px.Address, plan.Y, pdy.Address,
            plan.Convolution.Value, algo, workspace.Address, (nuint)bytes, &beta, plan.Filter.Value, pdw.Address));
    }

    // ---- batch norm --------------------------------------------------------------------------------------

    /// <summary>
    /// x as cuDNN sees it: [N, C] (1-d) as [N, C, 1, 1] in per-activation mode, [N, C, S] as [N, C, S, 1] in
    /// spatial mode; the per-channel tensors are [1, C, 1, 1] either way.
    /// </summary>
    private (nint X, nint Param, cudnnBatchNormMode Mode) BatchNormLayout(string op, Tensor x, Tensor gamma,
        params Tensor[] perChannel)
    {
        (int n, int c, int s) = ShapeCheck.ChannelLayout(op, x, checked((int)gamma.Length));
        foreach (Tensor t in perChannel)
        {
            ShapeCheck.Elements(op, "per-channel tensor", t, c);
        }
        cudnnBatchNormMode mode = x.Shape.Rank == 2
            ? cudnnBatchNormMode.CUDNN_BATCHNORM_PER_ACTIVATION
            : cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL;
        return (TensorDescriptor(n, c, s, 1), TensorDescriptor(1, c, 1, 1), mode);
    }

    /// <inheritdoc />
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps)
    {
        ShapeCheck.SameLength("batch norm", x, y);
        _device.MakeCurrent();
        (nint xd, nint pd, cudnnBatchNormMode mode) =
            BatchNormLayout("batch norm", x, gamma, betaParam, runMean, runVar, saveMean, saveInvStd);
        float alpha = 1f, beta = 0f;
        // cuDNN's running update is run = (1 - factor) run + factor batch, with the unbiased batch variance for
        // runVar, and saveInvVariance is 1 / sqrt(biased var + eps): the contract's definitions.
        CuDnn.Check(CuDnn.cudnnBatchNormalizationForwardTraining(Dnn, mode, &alpha, &beta, xd, Ptr(x).Address, xd,
            Ptr(y).Address, pd, Ptr(gamma).Address, Ptr(betaParam).Address, momentum, Ptr(runMean).Address,
            Ptr(runVar).Address, eps, Ptr(saveMean).Address, Ptr(saveInvStd).Address));
    }

    /// <inheritdoc />
    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, double eps)
    {
        ShapeCheck.SameLength("batch norm inference", x, y);
        _device.MakeCurrent();
        (nint xd, nint pd, cudnnBatchNormMode mode) =
            BatchNormLayout("batch norm inference", x, gamma, betaParam, runMean, runVar);
        float alpha = 1f, beta = 0f;
        CuDnn.Check(CuDnn.cudnnBatchNormalizationForwardInference(Dnn, mode, &alpha, &beta, xd, Ptr(x).Address, xd,
            Ptr(y).Address, pd, Ptr(gamma).Address, Ptr(betaParam).Address, Ptr(runMean).Address,
            Ptr(runVar).Address, eps));
    }

    /// <inheritdoc />
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
        Tensor dGamma, Tensor dBetaParam, float dxBeta)
    {
        ShapeCheck.SameLength("batch norm backward", x, dy);
        ShapeCheck.SameLength("batch norm backward", x, dx);
        _device.MakeCurrent();
        (nint xd, nint pd, cudnnBatchNormMode mode) =
            BatchNormLayout("batch norm backward", x, gamma, saveMean, saveInvStd, dGamma, dBetaParam);
        // Parameter gradients accumulate (beta 1); dx takes the caller's beta.
        float one = 1f, paramBeta = 1f;
        // cuDNN takes epsilon again but, given the saved 1/std, does not use it; the smallest value it accepts
        // (CUDNN_BN_MIN_EPSILON, 1e-5 before cuDNN 9) is passed.
        CuDnn.Check(CuDnn.cudnnBatchNormalizationBackward(Dnn, mode, &one, &dxBeta, &one, &paramBeta, xd,
            Ptr(x).Address, xd, Ptr(dy).Address, xd, Ptr(dx).Address, pd, Ptr(gamma).Address, Ptr(dGamma).Address,
            Ptr(dBetaParam).Address, 1e-5, Ptr(saveMean).Address, Ptr(saveInvStd).Address));
    }

    // ---- pooling -----------------------------------------------------------------------------------------

    private (nint X, nint Y, nint Pool) PoolLayout(string op, Tensor x, Tensor y, PoolGeometry p,
        cudnnPoolingMode mode)
    {
        ShapeCheck.Rank(op, "input", x, 4);
        ShapeCheck.Rank(op, "output", y, 4);
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = p.OutSize(h), ow = p.OutSize(w);
        if (oh <= 0 || ow <= 0 || y.Shape[0] != n || y.Shape[1] != c || y.Shape[2] != oh || y.Shape[3] != ow)
        {
            throw new ArgumentException(
                $"{op} {p.Kernel}x{p.Kernel}/s{p.Stride}/p{p.Pad}: input {x.Shape} does not give output {y.Shape}");
        }
        if (!_poolDescriptors.TryGetValue((p, mode), out CudnnDescriptor? d))
        {
            d = CudnnDescriptor.Create(CudnnDescriptorKind.Pooling);
            CuDnn.Check(CuDnn.cudnnSetPooling2dDescriptor(d.Value, mode, cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN,
                p.Kernel, p.Kernel, p.Pad, p.Pad, p.Stride, p.Stride));
            _poolDescriptors[(p, mode)] = d;
        }
        return (TensorDescriptor(n, c, h, w), TensorDescriptor(n, c, oh, ow), d.Value);
    }

    /// <inheritdoc />
    public void AvgPoolForward(Tensor x, Tensor y, PoolGeometry p)
    {
        _device.MakeCurrent();
        (nint xd, nint yd, nint pool) =
            PoolLayout("avg pool", x, y, p, cudnnPoolingMode.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING);
        float alpha = 1f, beta = 0f;
        CuDnn.Check(CuDnn.cudnnPoolingForward(Dnn, pool, &alpha, xd, Ptr(x).Address, &beta, yd, Ptr(y).Address));
    }

    /// <inheritdoc />
    public void AvgPoolBackward(Tensor dy, Tensor dx, PoolGeometry p, float beta)
    {
        _device.MakeCurrent();
        (nint xd, nint yd, nint pool) = PoolLayout("avg pool backward", dx, dy, p,
            cudnnPoolingMode.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING);
        float alpha = 1f;
        // Average pooling's gradient depends on neither x nor y; cuDNN still takes both, so dy and dx stand in.
        DevicePtr pdy = Ptr(dy), pdx = Ptr(dx);
        CuDnn.Check(CuDnn.cudnnPoolingBackward(Dnn, pool, &alpha, yd, pdy.Address, yd, pdy.Address, xd, pdx.Address,
            &beta, xd, pdx.Address));
    }

    /// <inheritdoc />
    public void MaxPoolForward(Tensor x, Tensor y, PoolGeometry p)
    {
        _device.MakeCurrent();
        (nint xd, nint yd, nint pool) =
            PoolLayout("max pool", x, y, p, cudnnPoolingMode.CUDNN_POOLING_MAX_DETERMINISTIC);
        float alpha = 1f, beta = 0f;
        CuDnn.Check(CuDnn.cudnnPoolingForward(Dnn, pool, &alpha, xd, Ptr(x).Address, &beta, yd, Ptr(y).Address));
    }

    /// <inheritdoc />
    public void MaxPoolBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, PoolGeometry p, float beta)
    {
        ShapeCheck.SameLength("max pool backward", y, dy);
        ShapeCheck.SameLength("max pool backward", x, dx);
        _device.MakeCurrent();
        (nint xd, nint yd, nint pool) =
            PoolLayout("max pool backward", x, y, p, cudnnPoolingMode.CUDNN_POOLING_MAX_DETERMINISTIC);
        float alpha = 1f;
        CuDnn.Check(CuDnn.cudnnPoolingBackward(Dnn, pool, &alpha, yd, Ptr(y).Address, yd, Ptr(dy).Address, xd,
            Ptr(x).Address, &beta, xd, Ptr(dx).Address));
    }

    // ---- ReLU --------------------------------------------------------------------------------------------

    /// <summary>The ReLU descriptor and x viewed as a [1, 1, 1, n] tensor.</summary>
    private (nint Relu, nint Desc) ReluLayout(Tensor x)
    {
        _device.MakeCurrent();
        if (_relu is null)
        {
            _relu = CudnnDescriptor.Create(CudnnDescriptorKind.Activation);
            CuDnn.Check(CuDnn.cudnnSetActivationDescriptor(_relu.Value, cudnnActivationMode.CUDNN_ACTIVATION_RELU,
                cudnnNanPropagation.CUDNN_PROPAGATE_NAN, 0.0));
        }
        return (_relu.Value, TensorDescriptor(1, 1, 1, KernelLaunch.Count(x.Length, "relu")));
    }

    /// <inheritdoc />
    public void ReluForward(Tensor x, Tensor y)
    {
        ShapeCheck.SameLength("relu", x, y);
        if (x.Length == 0)
        {
            return;
        }
        (nint relu, nint d) = ReluLayout(x);
        float alpha = 1f, beta = 0f;
        CuDnn.Check(CuDnn.cudnnActivationForward(Dnn, relu, &alpha, d, Ptr(x).Address, &beta, d, Ptr(y).Address));
    }

    /// <inheritdoc />
    public void ReluBackward(Tensor y, Tensor dy, Tensor dx, float beta)
    {
        ShapeCheck.SameLength("relu backward", y, dy);
        ShapeCheck.SameLength("relu backward", y, dx);
        if (y.Length == 0)
        {
            return;
        }
        (nint relu, nint d) = ReluLayout(y);
        float alpha = 1f;
        // The contract keeps only the output; for ReLU y > 0 exactly where x > 0, so y also stands in for x.
        DevicePtr py = Ptr(y);
        CuDnn.Check(CuDnn.cudnnActivationBackward(Dnn, relu, &alpha, d, py.Address, d, Ptr(dy).Address, d,
            py.Address, &beta, d, Ptr(dx).Address));
    }
}
