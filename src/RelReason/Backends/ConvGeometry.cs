namespace RelReason.Backends;

/// <summary>
/// A 2-d convolution without bias, cross-correlation as in PyTorch. Input [N, Cin, H, W], weight
/// [Cout, Cin, KH, KW], output [N, Cout, OH, OW] with OH = (H + 2*Pad - KH) / Stride + 1.
/// </summary>
public readonly record struct ConvGeometry(
    int N, int InChannels, int Height, int Width, int OutChannels, int KernelH, int KernelW, int Stride, int Pad)
{
    public int OutHeight => OutSize(Height, KernelH, Stride, Pad);

    public int OutWidth => OutSize(Width, KernelW, Stride, Pad);

    /// <summary>Output side of a window sliding over <paramref name="size"/>; 0 when the window does not fit
    /// (integer division alone would round a negative span up to one output).</summary>
    internal static int OutSize(int size, int kernel, int stride, int pad) =>
        size + 2 * pad < kernel ? 0 : (size + 2 * pad - kernel) / stride + 1;

    public override string ToString() =>
        $"conv {KernelH}x{KernelW}/s{Stride}/p{Pad} [{N}, {InChannels}, {Height}, {Width}] -> " +
        $"[{N}, {OutChannels}, {OutHeight}, {OutWidth}]";
}

/// <summary>A pooling window: kernel, stride and zero padding (padding is ignored by max, counted by avg).</summary>
public readonly record struct PoolGeometry(int Kernel, int Stride, int Pad)
{
    public int OutSize(int size) => ConvGeometry.OutSize(size, Kernel, Stride, Pad);
}

/// <summary>The binary losses of the relation head (METHOD.md 1.4).</summary>
public enum BinaryLossKind
{
    /// <summary>Binary cross-entropy with logits, mean reduction.</summary>
    Bce,

    /// <summary>Sigmoid focal loss, mean over pairs of alpha_t * (1 - p_t)^gamma * bce; the factor is not
    /// detached.</summary>
    Focal,
}

/// <summary>How the two feature rows of a pair are combined before the relation head (METHOD.md 1.2).</summary>
public enum Aggregation
{
    Cat,
    Sum,
    Mean,
    Max,
}
