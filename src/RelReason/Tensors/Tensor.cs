namespace RelReason.Tensors;

/// <summary>
/// A dense, contiguous float32 tensor. A tensor owns its storage unless it is a reshaped view of another
/// tensor's storage. Gradients live beside the value: <see cref="Grad"/> is filled by the autograd tape.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly bool _ownsStorage;

    public Tensor(IStorage storage, Shape shape, bool ownsStorage = true)
    {
        if (shape.Elements > storage.Length)
        {
            throw new ArgumentException($"shape {shape} needs {shape.Elements} elements, storage has {storage.Length}");
        }
        Storage = storage;
        Shape = shape;
        _ownsStorage = ownsStorage;
    }

    public IStorage Storage { get; }

    public Shape Shape { get; }

    public long Length => Shape.Elements;

    /// <summary>Name for messages and checkpoints (PyTorch-style, e.g. "layer1.conv.weight"); empty for
    /// activations.</summary>
    public string Name { get; set; } = "";

    /// <summary>True when gradients flow to or through this tensor.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The gradient of the loss with respect to this tensor, same shape, or null before backward.</summary>
    public Tensor? Grad { get; set; }

    public bool IsDisposed { get; private set; }

    /// <summary>A view with another shape of the same number of elements, sharing storage.</summary>
    public Tensor Reshape(params int[] dims)
    {
        var shape = new Shape(dims);
        if (shape.Elements != Length)
        {
            throw new ArgumentException($"cannot reshape {Describe()} to {shape}: element counts differ");
        }
        return new Tensor(Storage, shape, ownsStorage: false) { Name = Name };
    }

    public string Describe() => string.IsNullOrEmpty(Name) ? Shape.ToString() : $"{Name} {Shape}";

    public override string ToString() => $"Tensor{Shape} on {Storage.Device}";

    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }
        IsDisposed = true;
        if (_ownsStorage)
        {
            Storage.Dispose();
        }
    }
}
