using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>An image encoder: [N, C, H, W] -> features [N, FeatureSize] (post-ReLU, globally pooled).</summary>
public abstract class Backbone : Module
{
    protected Backbone(IBackend backend, string name, int inChannels, int featureSize)
        : base(backend)
    {
        ArchitectureName = name;
        InChannels = inChannels;
        FeatureSize = featureSize;
    }

    /// <summary>"conv4", "resnet32", ...</summary>
    public string ArchitectureName { get; }

    public int InChannels { get; }

    public int FeatureSize { get; }

    /// <summary>The smallest input side the backbone accepts (its total stride).</summary>
    public abstract int MinInputSize { get; }

    public Tensor Forward(Tape tape, Tensor x)
    {
        if (x.Shape.Rank != 4 || x.Shape[1] != InChannels)
        {
            throw new ArgumentException(
                $"{ArchitectureName}: input {x.Describe()} must be [N, {InChannels}, H, W]");
        }
        if (x.Shape[0] == 0)
        {
            throw new ArgumentException($"{ArchitectureName}: empty batch {x.Describe()}");
        }
        if (x.Shape[2] < MinInputSize || x.Shape[3] < MinInputSize)
        {
            throw new ArgumentException(
                $"{ArchitectureName}: input {x.Shape[2]}x{x.Shape[3]} is smaller than its total stride allows " +
                $"(at least {MinInputSize}x{MinInputSize}){InputSizeHint}");
        }
        return ForwardFeatures(tape, x);
    }

    protected abstract Tensor ForwardFeatures(Tape tape, Tensor x);

    /// <summary>Appended to the too-small-input error: how to accept smaller inputs, when there is a way.</summary>
    protected virtual string InputSizeHint => "";
}

/// <summary>
/// Conv-4 of METHOD.md 2.1: four blocks of conv 3x3 (no bias) -> BN -> ReLU -> pool, channels 8/16/32/64,
/// 2x2 average pooling after blocks 1-3 and global average pooling after block 4; 64 features.
/// </summary>
public sealed class Conv4 : Backbone
{
    private static readonly int[] Widths = [8, 16, 32, 64];
    private readonly (Conv2d Conv, BatchNorm Bn)[] _blocks = new (Conv2d, BatchNorm)[4];

    public Conv4(IBackend backend, int inChannels, ulong seed)
        : base(backend, "conv4", inChannels, 64)
    {
        var rng = new InitRandom(seed);
        int c = inChannels;
        for (int i = 0; i < 4; i++)
        {
            var block = Child($"layer{i + 1}", new Block(backend));
            var conv = block.Add("conv", new Conv2d(backend, rng.Fork($"layer{i + 1}.conv"), c, Widths[i], 3, 1, 1));
            var bn = block.Add("bn", new BatchNorm(backend, Widths[i]));
            _blocks[i] = (conv, bn);
            c = Widths[i];
        }
    }

    public override int MinInputSize => 8;

    protected override Tensor ForwardFeatures(Tape tape, Tensor x)
    {
        var h = x;
        for (int i = 0; i < 4; i++)
        {
            h = _blocks[i].Conv.Forward(tape, h);
            h = _blocks[i].Bn.ForwardRelu(tape, h);
            h = i < 3 ? Ops.AvgPool2d(tape, h, 2, 2) : Ops.GlobalAvgPool(tape, h);
        }
        return h;
    }

    /// <summary>A named group of layers without its own forward (PyTorch's nn.Sequential in the state dict).</summary>
    private sealed class Block(IBackend backend) : Module(backend)
    {
        public T Add<T>(string name, T module)
            where T : Module => Child(name, module);
    }
}
