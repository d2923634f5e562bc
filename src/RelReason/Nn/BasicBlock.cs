using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>
/// The residual block of METHOD.md 2.2-2.3: conv 3x3 (stride s) -> BN -> ReLU -> conv 3x3 -> BN, plus the shortcut,
/// then ReLU. The shortcut is the identity, or a projection (1x1 conv with stride s, no bias, then BN) when the
/// stride is not 1 or the width changes ("option B"). State-dict names are torchvision's: conv1, bn1, conv2, bn2,
/// downsample.0 (conv), downsample.1 (BN), registered in that order so the state dict has torchvision's order.
/// </summary>
public sealed class BasicBlock : Module
{
    /// <param name="backend">Where the weights live.</param>
    /// <param name="rng">Initialisation stream; each conv draws from its own fork named after its full path.</param>
    /// <param name="path">The block's full module path ("layer2.0"), used only to name the forks.</param>
    /// <param name="inChannels">Input width.</param>
    /// <param name="outChannels">Output width.</param>
    /// <param name="stride">Stride of the first conv and of the projection.</param>
    public BasicBlock(IBackend backend, InitRandom rng, string path, int inChannels, int outChannels, int stride)
        : base(backend)
    {
        Conv1 = Child("conv1", new Conv2d(backend, rng.Fork(path + ".conv1"), inChannels, outChannels, 3, stride, 1));
        Bn1 = Child("bn1", new BatchNorm(backend, outChannels));
        Conv2 = Child("conv2", new Conv2d(backend, rng.Fork(path + ".conv2"), outChannels, outChannels, 3, 1, 1));
        Bn2 = Child("bn2", new BatchNorm(backend, outChannels));
        if (stride != 1 || inChannels != outChannels)
        {
            var group = Child("downsample", new ModuleGroup(backend));
            var conv = group.Add("0",
                new Conv2d(backend, rng.Fork(path + ".downsample.0"), inChannels, outChannels, 1, stride, 0));
            var bn = group.Add("1", new BatchNorm(backend, outChannels));
            Downsample = (conv, bn);
        }
    }

    public Conv2d Conv1 { get; }

    public BatchNorm Bn1 { get; }

    public Conv2d Conv2 { get; }

    public BatchNorm Bn2 { get; }

    /// <summary>The projection shortcut, or null for the identity.</summary>
    public (Conv2d Conv, BatchNorm Bn)? Downsample { get; }

    /// <summary>[N, Cin, H, W] -> [N, Cout, ceil(H/s), ceil(W/s)].</summary>
    public Tensor Forward(Tape tape, Tensor x)
    {
        var h = Bn1.ForwardRelu(tape, Conv1.Forward(tape, x));
        var shortcut = Downsample is { } d ? d.Bn.Forward(tape, d.Conv.Forward(tape, x)) : x;
        return Bn2.ForwardAddRelu(tape, Conv2.Forward(tape, h), shortcut);
    }
}

/// <summary>
/// A named group of layers without a forward of its own: it only gives its children a common prefix in the state
/// dict, like PyTorch's nn.Sequential ("layer1.0.conv1.weight", "downsample.1.running_mean").
/// </summary>
internal sealed class ModuleGroup(IBackend backend) : Module(backend)
{
    public T Add<T>(string name, T module)
        where T : Module => Child(name, module);
}
