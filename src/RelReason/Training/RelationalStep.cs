using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Training;

/// <summary>What one relational-reasoning step measured.</summary>
public readonly record struct StepResult(float Loss, float PairAccuracy, int Pairs);

/// <summary>
/// One training step of METHOD.md 1: K*M views (augmentation-major) -> backbone -> pairs -> head -> loss ->
/// backward -> optimiser. The pair index and its targets are built once per (K, M) and reused.
/// </summary>
public sealed class RelationalStep : IDisposable
{
    private readonly Dictionary<(int K, int M), (PairIndex Pairs, Tensor Targets)> _pairs = new();

    public RelationalStep(Backbone backbone, RelationHead head, Optimizer optimizer, BinaryLossKind loss,
        float focalGamma = 2f, float focalAlpha = 0.5f)
    {
        Backbone = backbone;
        Head = head;
        Optimizer = optimizer;
        Loss = loss;
        FocalGamma = focalGamma;
        FocalAlpha = focalAlpha;
    }

    public Backbone Backbone { get; }

    public RelationHead Head { get; }

    public Optimizer Optimizer { get; }

    public BinaryLossKind Loss { get; }

    public float FocalGamma { get; }

    public float FocalAlpha { get; }

    private IBackend Backend => Backbone.Backend;

    /// <summary>Runs forward and backward on <paramref name="views"/> [K*M, C, H, W] and updates the
    /// parameters.</summary>
    public StepResult Run(Tensor views, int k)
    {
        using var tape = new Tape(Backend);
        var lossValues = Forward(tape, views, k, out int pairs);
        Backbone.ZeroGrad();
        Head.ZeroGrad();
        tape.Backward();
        Optimizer.Step();
        return Read(lossValues, pairs);
    }

    /// <summary>The forward half (loss and accuracy without an update), recorded on <paramref name="tape"/>.</summary>
    public Tensor Forward(Tape tape, Tensor views, int k, out int pairCount)
    {
        if (views.Shape.Rank != 4 || k < 2 || views.Shape[0] % k != 0)
        {
            throw new ArgumentException(
                $"relational step: views {views.Describe()} are not K*M images for K={k} (K must be >= 2)");
        }
        int m = views.Shape[0] / k;
        var (pairs, targets) = PairsFor(k, m);
        var features = Backbone.Forward(tape, views);
        var logits = Head.Forward(tape, features, pairs);
        pairCount = pairs.Count;
        return Ops.BinaryLoss(tape, logits, targets, Loss, FocalGamma, FocalAlpha);
    }

    public StepResult Read(Tensor lossValues, int pairs)
    {
        Span<float> host = stackalloc float[2];
        Backend.Download(lossValues, host);
        return new StepResult(host[0], host[1] / pairs, pairs);
    }

    private (PairIndex, Tensor) PairsFor(int k, int m)
    {
        if (!_pairs.TryGetValue((k, m), out var entry))
        {
            var pairs = PairIndex.Build(k, m);
            var targets = Backend.Empty(new Shape(pairs.Count));
            Backend.Upload(pairs.Targets, targets);
            _pairs[(k, m)] = entry = (pairs, targets);
        }
        return entry;
    }

    public void Dispose()
    {
        foreach (var (_, t) in _pairs.Values)
        {
            t.Dispose();
        }
        _pairs.Clear();
    }
}
