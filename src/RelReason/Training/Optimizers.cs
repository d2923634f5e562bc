using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Training;

/// <summary>A set of parameters sharing a learning rate (PyTorch's param group).</summary>
public sealed record ParamGroup(string Name, IReadOnlyList<Tensor> Parameters, float LearningRate);

/// <summary>Updates parameters from their accumulated gradients; state tensors are named for checkpoints.</summary>
public abstract class Optimizer : IDisposable
{
    protected Optimizer(IBackend backend, IReadOnlyList<ParamGroup> groups)
    {
        Backend = backend;
        Groups = groups;
    }

    public IBackend Backend { get; }

    public IReadOnlyList<ParamGroup> Groups { get; private set; }

    /// <summary>Replaces each group's learning rate (a schedule), in group order.</summary>
    public void SetLearningRates(IReadOnlyList<float> rates)
    {
        if (rates.Count != Groups.Count)
        {
            throw new ArgumentException($"{rates.Count} learning rates for {Groups.Count} parameter groups");
        }
        Groups = Groups.Select((g, i) => g with { LearningRate = rates[i] }).ToList();
    }

    /// <summary>Number of completed steps.</summary>
    public int StepCount { get; set; }

    public abstract void Step();

    /// <summary>Per-parameter state by "group.index.slot" (e.g. "backbone.3.exp_avg").</summary>
    public abstract IEnumerable<(string Name, Tensor Tensor)> NamedState();

    protected Tensor Zeros(Tensor like)
    {
        var t = Backend.Empty(like.Shape);
        Backend.Fill(t, 0f);
        return t;
    }

    public virtual void Dispose()
    {
        foreach (var (_, t) in NamedState())
        {
            t.Dispose();
        }
    }
}

/// <summary>torch.optim.Adam (betas 0.9/0.999, eps 1e-8, L2 weight decay), METHOD.md 1.5.</summary>
public sealed class Adam : Optimizer
{
    private readonly List<(Tensor Param, Tensor M, Tensor V, int Group, int Index)> _state = [];

    public Adam(IBackend backend, IReadOnlyList<ParamGroup> groups, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0f)
        : base(backend, groups)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        for (int g = 0; g < groups.Count; g++)
        {
            for (int i = 0; i < groups[g].Parameters.Count; i++)
            {
                var p = groups[g].Parameters[i];
                _state.Add((p, Zeros(p), Zeros(p), g, i));
            }
        }
    }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Eps { get; }

    public float WeightDecay { get; }

    public override void Step()
    {
        StepCount++;
        foreach (var (p, m, v, g, _) in _state)
        {
            Backend.AdamStep(p, p.Grad!, m, v, Groups[g].LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount);
        }
    }

    public override IEnumerable<(string Name, Tensor Tensor)> NamedState() =>
        _state.SelectMany(s => new[]
        {
            ($"{Groups[s.Group].Name}.{s.Index}.exp_avg", s.M),
            ($"{Groups[s.Group].Name}.{s.Index}.exp_avg_sq", s.V),
        });
}

/// <summary>torch.optim.SGD with momentum (dampening 0), optional Nesterov and L2 weight decay.</summary>
public sealed class Sgd : Optimizer
{
    private readonly List<(Tensor Param, Tensor Buffer, int Group, int Index)> _state = [];

    public Sgd(IBackend backend, IReadOnlyList<ParamGroup> groups, float momentum = 0.9f, float weightDecay = 0f,
        bool nesterov = false)
        : base(backend, groups)
    {
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        for (int g = 0; g < groups.Count; g++)
        {
            for (int i = 0; i < groups[g].Parameters.Count; i++)
            {
                var p = groups[g].Parameters[i];
                _state.Add((p, Zeros(p), g, i));
            }
        }
    }

    public float Momentum { get; }

    public float WeightDecay { get; }

    public bool Nesterov { get; }

    public override void Step()
    {
        bool first = StepCount == 0;
        StepCount++;
        foreach (var (p, buf, g, _) in _state)
        {
            Backend.SgdStep(p, p.Grad!, buf, Groups[g].LearningRate, Momentum, WeightDecay, Nesterov, first);
        }
    }

    public override IEnumerable<(string Name, Tensor Tensor)> NamedState() =>
        _state.Select(s => ($"{Groups[s.Group].Name}.{s.Index}.momentum_buffer", s.Buffer));
}
