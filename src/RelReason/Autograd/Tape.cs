using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Autograd;

/// <summary>
/// Records, in forward order, how to send gradients back through each op, and owns every tensor made during
/// the step (activations, saved statistics, activation gradients) so that disposing the tape returns them to
/// the backend's pool. Parameters live outside the tape: their gradients persist and always accumulate.
/// A tape that does not record (evaluation) still owns the activations it hands out.
/// </summary>
public sealed class Tape : IDisposable
{
    private readonly List<(string Op, Tensor Output, Action Backward)> _entries = [];
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _backwardDone;

    public Tape(IBackend backend, bool record = true)
    {
        Backend = backend;
        IsRecording = record;
    }

    public IBackend Backend { get; }

    public bool IsRecording { get; }

    /// <summary>Op labels in record order (for logs and tests).</summary>
    public IEnumerable<string> Ops => _entries.Select(e => e.Op);

    /// <summary>A new tensor owned by this tape.</summary>
    public Tensor Empty(Shape shape) => Own(Backend.Empty(shape));

    public Tensor Empty(params int[] dims) => Empty(new Shape(dims));

    /// <summary>Transfers ownership of <paramref name="t"/> to the tape.</summary>
    public Tensor Own(Tensor t)
    {
        _owned.Add(t);
        return t;
    }

    /// <summary>A tape-owned tensor holding <paramref name="values"/>.</summary>
    public Tensor Constant(ReadOnlySpan<float> values, params int[] dims)
    {
        var t = Empty(dims);
        Backend.Upload(values, t);
        return t;
    }

    /// <summary>True when the op must record a backward: recording, and some input needs a gradient.</summary>
    public bool Needs(Tensor a) => IsRecording && a.RequiresGrad;

    public bool Needs(Tensor a, Tensor b) => IsRecording && (a.RequiresGrad || b.RequiresGrad);

    public bool Needs(Tensor a, Tensor b, Tensor c) =>
        IsRecording && (a.RequiresGrad || b.RequiresGrad || c.RequiresGrad);

    public void Record(string op, Tensor output, Action backward)
    {
        output.RequiresGrad = true;
        _entries.Add((op, output, backward));
    }

    /// <summary>
    /// Where to write the gradient of <paramref name="x"/>, and the beta to write it with: the first contribution
    /// to an activation overwrites a fresh tensor (beta 0); later ones, and parameters, accumulate (beta 1).
    /// </summary>
    public (Tensor Grad, float Beta) GradOf(Tensor x)
    {
        if (x.Grad is { } g)
        {
            return (g, 1f);
        }
        x.Grad = Empty(x.Shape);
        return (x.Grad, 0f);
    }

    /// <summary>
    /// Replays the recorded backward functions in reverse. The last op must be a loss, which seeds its own
    /// gradient (d loss / d loss = 1) because losses compute their gradient in the forward pass.
    /// </summary>
    public void Backward()
    {
        if (!IsRecording)
        {
            throw new InvalidOperationException("backward on a tape that did not record (evaluation mode)");
        }
        if (_backwardDone)
        {
            throw new InvalidOperationException("backward was already run on this tape");
        }
        _backwardDone = true;
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            var (_, output, backward) = _entries[i];
            backward();
            // The op that made this output was its gradient's only reader: the memory goes back to the pool now,
            // so at most a few activation gradients are alive at once instead of one per activation.
            if (output.Grad is { } g && _owned.Contains(g))
            {
                output.Grad = null;
                _owned.Remove(g);
                g.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var t in _owned)
        {
            t.Grad = null;
            t.Dispose();
        }
        _owned.Clear();
        _entries.Clear();
    }
}
