using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>Conv2d without bias; weights He-normal with fan-out (std = sqrt(2 / (k*k*out))), METHOD.md 2.1.</summary>
public sealed class Conv2d : Module
{
    public Conv2d(IBackend backend, InitRandom rng, int inChannels, int outChannels, int kernel, int stride, int pad)
        : base(backend)
    {
        Stride = stride;
        Pad = pad;
        int count = outChannels * inChannels * kernel * kernel;
        Weight = Parameter("weight", rng.Normal(count, Math.Sqrt(2.0 / (kernel * kernel * outChannels))),
            outChannels, inChannels, kernel, kernel);
    }

    public Tensor Weight { get; }

    public int Stride { get; }

    public int Pad { get; }

    public Tensor Forward(Tape tape, Tensor x) => Ops.Conv2d(tape, x, Weight, Stride, Pad);
}

/// <summary>BatchNorm over channels (2-d: [N, C, H, W]; 1-d: [N, C]), eps 1e-5, momentum 0.1, gamma 1, beta
/// 0.</summary>
public sealed class BatchNorm : Module
{
    public BatchNorm(IBackend backend, int channels, double eps = 1e-5, double momentum = 0.1)
        : base(backend)
    {
        Eps = eps;
        Momentum = momentum;
        Weight = Parameter("weight", Enumerable.Repeat(1f, channels).ToArray(), channels);
        Bias = Parameter("bias", new float[channels], channels);
        RunningMean = Buffer("running_mean", 0f, channels);
        RunningVar = Buffer("running_var", 1f, channels);
    }

    public Tensor Weight { get; }

    public Tensor Bias { get; }

    public Tensor RunningMean { get; }

    public Tensor RunningVar { get; }

    public double Eps { get; }

    public double Momentum { get; }

    /// <summary>Training-mode forwards so far (PyTorch's num_batches_tracked).</summary>
    public long NumBatchesTracked { get; set; }

    public Tensor Forward(Tape tape, Tensor x)
    {
        if (IsTraining)
        {
            NumBatchesTracked++;
        }
        return Ops.BatchNorm(tape, x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps);
    }

    /// <summary>ReLU(this(x)) fused (<see cref="Ops.BatchNormRelu"/>): the numbers of the two in sequence.</summary>
    public Tensor ForwardRelu(Tape tape, Tensor x)
    {
        if (IsTraining)
        {
            NumBatchesTracked++;
        }
        return Ops.BatchNormRelu(tape, x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps);
    }

    /// <summary>
    /// ReLU(this(x) + residual) fused (<see cref="Ops.BatchNormAddRelu"/>), the end of a residual block.
    /// </summary>
    public Tensor ForwardAddRelu(Tape tape, Tensor x, Tensor residual)
    {
        if (IsTraining)
        {
            NumBatchesTracked++;
        }
        return Ops.BatchNormAddRelu(tape, x, residual, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum,
            Eps);
    }

    protected override IEnumerable<(string Name, Func<long> Get, Action<long> Set)> Counters() =>
        [("num_batches_tracked", () => NumBatchesTracked, v => NumBatchesTracked = v)];
}

/// <summary>Linear with bias, PyTorch's default init: weight and bias uniform in +-1/sqrt(in).</summary>
public sealed class Linear : Module
{
    public Linear(IBackend backend, InitRandom rng, int inFeatures, int outFeatures)
        : base(backend)
    {
        double bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = Parameter("weight", rng.Uniform(outFeatures * inFeatures, -bound, bound), outFeatures, inFeatures);
        Bias = Parameter("bias", rng.Uniform(outFeatures, -bound, bound), outFeatures);
    }

    public Tensor Weight { get; }

    public Tensor Bias { get; }

    public int InFeatures => Weight.Shape[1];

    public int OutFeatures => Weight.Shape[0];

    public Tensor Forward(Tape tape, Tensor x) => Ops.Linear(tape, x, Weight, Bias);
}
