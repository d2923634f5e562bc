using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>The first layers of an ImageNet-style ResNet (ResNet-18/34).</summary>
public enum ResNetStem
{
    /// <summary>
    /// The reference (METHOD.md 2.3): conv 7x7 stride 2 pad 3 -> BN -> ReLU -> max pool 3x3 stride 2 pad 1, total
    /// stride 32. On 32x32 inputs the last stage sees a 1x1 map.
    /// </summary>
    ImageNet,

    /// <summary>
    /// A departure from the reference for 32-96 px inputs: conv 3x3 stride 1 pad 1 -> BN -> ReLU, no max pool, total
    /// stride 8 (so a 32x32 input ends in a 4x4 map). The state-dict names are the same, but conv1.weight is
    /// [64, C, 3, 3] instead of [64, C, 7, 7], so its weights do not load into torchvision's resnet18/34 and its
    /// results are not comparable with the paper's.
    /// </summary>
    Small,
}

/// <summary>
/// ResNets of METHOD.md 2.2-2.3 with torchvision's state-dict names (conv1, bn1, layer{s}.{b}.conv1 ...
/// layer{s}.{b}.downsample.0/1), without the fc layer.
/// <list type="bullet">
/// <item>CIFAR-style (<see cref="Cifar"/>, depth 6n+2: ResNet-8/20/32/56): conv 3x3 (C -> 16) -> BN -> ReLU, three
/// stages of n BasicBlocks 16/32/64 wide with strides 1/2/2, global average pool; 64 features, total stride 4.</item>
/// <item>ImageNet-style (<see cref="ImageNet"/>, ResNet-18 [2,2,2,2] and ResNet-34 [3,4,6,3] blocks): a stem of
/// <see cref="ResNetStem"/>, four stages 64/128/256/512 wide with strides 1/2/2/2, global average pool; 512
/// features.</item>
/// </list>
/// Init: conv weights He fan-out normal (std sqrt(2 / (k*k*out))), each conv from its own fork of the seed named
/// after its path; BN weight 1, bias 0 (no zero-init of the last BN in a block).
/// Activation memory of a training step, by layer kind, is estimated in benchmarks/README.md (ResNet-34, 1,024
/// views of 96x96: ~18 GiB on the CPU backend, since the tape keeps every activation and activation gradient).
/// </summary>
public sealed class ResNet : Backbone
{
    private readonly Conv2d _conv1;
    private readonly BatchNorm _bn1;
    private readonly bool _maxPool;
    private readonly List<BasicBlock> _blocks = [];

    private ResNet(IBackend backend, int inChannels, ulong seed, Layout layout)
        : base(backend, layout.Stem == ResNetStem.Small ? $"resnet{layout.Depth}-small" : $"resnet{layout.Depth}",
            inChannels, layout.Widths[^1])
    {
        Depth = layout.Depth;
        Stem = layout.Stem;
        var rng = new InitRandom(seed);
        _conv1 = Child("conv1", new Conv2d(backend, rng.Fork("conv1"), inChannels, layout.StemWidth,
            layout.StemKernel, layout.StemStride, layout.StemKernel / 2));
        _bn1 = Child("bn1", new BatchNorm(backend, layout.StemWidth));
        _maxPool = layout.MaxPool;
        int c = layout.StemWidth;
        int totalStride = layout.StemStride * (layout.MaxPool ? 2 : 1);
        for (int s = 0; s < layout.Blocks.Length; s++)
        {
            var stage = Child($"layer{s + 1}", new ModuleGroup(backend));
            for (int b = 0; b < layout.Blocks[s]; b++)
            {
                int stride = b == 0 ? layout.Strides[s] : 1;
                _blocks.Add(stage.Add($"{b}",
                    new BasicBlock(backend, rng, $"layer{s + 1}.{b}", c, layout.Widths[s], stride)));
                c = layout.Widths[s];
            }
            totalStride *= layout.Strides[s];
        }
        MinInputSize = totalStride;
    }

    /// <summary>CIFAR-style ResNet of depth 6n+2 (8, 20, 32, 56, ...), named "resnet{depth}"; 64 features.</summary>
    public static ResNet Cifar(IBackend backend, int depth, int inChannels, ulong seed)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
        {
            throw new ArgumentException($"CIFAR ResNet: depth {depth} is not 6n+2 with n >= 1 (8, 20, 32, 56, ...)");
        }
        int n = (depth - 2) / 6;
        return new ResNet(backend, inChannels, seed,
            new Layout(depth, null, 16, 3, 1, false, [n, n, n], [16, 32, 64], [1, 2, 2]));
    }

    /// <summary>
    /// ImageNet-style ResNet-18 or ResNet-34 without fc (torchvision's resnet18/34), named "resnet{depth}", or
    /// "resnet{depth}-small" with the small stem; 512 features. <see cref="ResNetStem.ImageNet"/> is the reference.
    /// </summary>
    public static ResNet ImageNet(IBackend backend, int depth, int inChannels, ulong seed,
        ResNetStem stem = ResNetStem.ImageNet)
    {
        int[] blocks = depth switch
        {
            18 => [2, 2, 2, 2],
            34 => [3, 4, 6, 3],
            _ => throw new ArgumentException($"ImageNet ResNet: depth {depth} is not 18 or 34 (BasicBlock ResNets)"),
        };
        bool reference = stem == ResNetStem.ImageNet;
        return new ResNet(backend, inChannels, seed, new Layout(depth, stem, 64, reference ? 7 : 3,
            reference ? 2 : 1, reference, blocks, [64, 128, 256, 512], [1, 2, 2, 2]));
    }

    /// <summary>Number of weighted layers (convs in the main path plus the fc the reference counts).</summary>
    public int Depth { get; }

    /// <summary>The stem of an ImageNet-style ResNet; null for the CIFAR-style ones.</summary>
    public ResNetStem? Stem { get; }

    /// <summary>The stem convolution: 7x7/2 or 3x3/1 to 64 channels (ImageNet-style), 3x3/1 to 16 (CIFAR).</summary>
    public Conv2d Conv1 => _conv1;

    /// <summary>The stem batch norm.</summary>
    public BatchNorm Bn1 => _bn1;

    /// <summary>The residual blocks in forward order.</summary>
    public IReadOnlyList<BasicBlock> Blocks => _blocks;

    /// <summary>The total stride: 4 (CIFAR), 32 (ImageNet stem) or 8 (small stem).</summary>
    public override int MinInputSize { get; }

    protected override string InputSizeHint =>
        Stem == ResNetStem.ImageNet ? "; the \"small\" stem accepts inputs from 8x8" : "";

    protected override Tensor ForwardFeatures(Tape tape, Tensor x)
    {
        var h = _bn1.ForwardRelu(tape, _conv1.Forward(tape, x));
        if (_maxPool)
        {
            h = Ops.MaxPool2d(tape, h, 3, 2, 1);
        }
        foreach (var block in _blocks)
        {
            h = block.Forward(tape, h);
        }
        return Ops.GlobalAvgPool(tape, h);
    }

    /// <summary>
    /// Stem: conv StemKernel x StemKernel (stride StemStride, pad StemKernel/2, C -> StemWidth), BN, ReLU and an
    /// optional 3x3/2 max pool; then stages of BasicBlocks, Blocks[s] of them Widths[s] wide, the first of them with
    /// stride Strides[s].
    /// </summary>
    private sealed record Layout(int Depth, ResNetStem? Stem, int StemWidth, int StemKernel, int StemStride,
        bool MaxPool, int[] Blocks, int[] Widths, int[] Strides);
}
