using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>
/// A layer or network: named parameters and buffers, children, and a train/eval switch. Names follow PyTorch's
/// state_dict ("layer1.conv.weight", "layer1.bn.running_mean"), in the same order: a module's own parameters,
/// then its own buffers, then each child's entries.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = [];
    private readonly List<(string Name, Tensor Tensor)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];

    protected Module(IBackend backend) => Backend = backend;

    public IBackend Backend { get; }

    /// <summary>Training mode: batch statistics in batch norm. Switched explicitly with <see cref="Train"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children)
        {
            child.Train(training);
        }
    }

    public void Eval() => Train(false);

    /// <summary>Every learnable tensor with its full name.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedParameters(string prefix = "") =>
        Walk(prefix).SelectMany(m => m.Module._parameters.Select(p => (m.Prefix + p.Name, p.Tensor)));

    /// <summary>Every tensor of the state dict in PyTorch order (parameters and buffers interleaved per
    /// module).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedState(string prefix = "") =>
        Walk(prefix).SelectMany(m => m.Module._parameters.Concat(m.Module._buffers)
            .Select(p => (m.Prefix + p.Name, p.Tensor)));

    /// <summary>Integer state (batch norm's num_batches_tracked), by full name.</summary>
    public IEnumerable<(string Name, Func<long> Get, Action<long> Set)> NamedCounters(string prefix = "") =>
        Walk(prefix).SelectMany(m => m.Module.Counters().Select(c => (m.Prefix + c.Name, c.Get, c.Set)));

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor);

    public long ParameterCount => Parameters().Sum(p => p.Length);

    /// <summary>Sets every parameter gradient to zero (gradients accumulate until this is called).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            Backend.Fill(p.Grad!, 0f);
        }
    }

    protected virtual IEnumerable<(string Name, Func<long> Get, Action<long> Set)> Counters() => [];

    protected T Child<T>(string name, T module)
        where T : Module
    {
        _children.Add((name, module));
        return module;
    }

    /// <summary>Registers a learnable tensor with host values; its gradient tensor is allocated and zeroed.</summary>
    protected Tensor Parameter(string name, float[] values, params int[] dims)
    {
        var t = Backend.Empty(new Shape(dims));
        Backend.Upload(values, t);
        t.Name = name;
        t.RequiresGrad = true;
        t.Grad = Backend.Empty(t.Shape);
        Backend.Fill(t.Grad, 0f);
        _parameters.Add((name, t));
        return t;
    }

    protected Tensor Buffer(string name, float value, int length)
    {
        var t = Backend.Empty(new Shape(length));
        Backend.Fill(t, value);
        t.Name = name;
        _buffers.Add((name, t));
        return t;
    }

    private IEnumerable<(string Prefix, Module Module)> Walk(string prefix)
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
        {
            foreach (var inner in child.Walk(prefix + name + "."))
            {
                yield return inner;
            }
        }
    }
}
