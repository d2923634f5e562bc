using BenchmarkDotNet.Attributes;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Training;

namespace RelReason.Benchmarks;

/// <summary>
/// One relational training step (forward, backward, Adam) per backbone on the CPU backend, K=4 and M=8 synthetic
/// views. The CLI's `relreason bench` times larger steps and compares with PyTorch (benchmarks/README.md); this
/// is the repeatable, statistically summarised version for regressions.
/// </summary>
[MemoryDiagnoser]
public class BackboneStepBenchmarks
{
    private const int K = 4;
    private const int M = 8;
    private CpuBackend _cpu = null!;
    private RelationalStep _step = null!;
    private Adam _optimizer = null!;
    private Tensor _views = null!;

    /// <summary>Backbone name and input side, "name@side".</summary>
    [Params("conv4@32", "resnet8@32", "resnet32@32", "resnet18@64", "resnet34@96")]
    public string Case { get; set; } = "conv4@32";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Case.Split('@');
        int size = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        _cpu = new CpuBackend();
        var backbone = BackboneFactory.Create(parts[0], _cpu, 3, seed: 1);
        var head = new RelationHead(_cpu, backbone.FeatureSize, Aggregation.Cat, seed: 2);
        _optimizer = new Adam(_cpu,
            [new ParamGroup("backbone", backbone.Parameters().ToList(), 1e-3f),
             new ParamGroup("relation", head.Parameters().ToList(), 1e-3f)]);
        _step = new RelationalStep(backbone, head, _optimizer, BinaryLossKind.Focal);
        _views = _cpu.Empty(new Shape(K * M, 3, size, size));
        _cpu.Upload(new InitRandom(3).Normal((int)_views.Length, 1.0), _views);
    }

    [Benchmark]
    public float Step() => _step.Run(_views, K).Loss;

    [GlobalCleanup]
    public void Cleanup()
    {
        _views.Dispose();
        _step.Dispose();
        _optimizer.Dispose();
        _cpu.Dispose();
    }
}
