using BenchmarkDotNet.Attributes;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Training;

namespace RelReason.Benchmarks;

/// <summary>
/// One full CPU training step of Conv4 + relation head (forward, backward, Adam) on 32x32x1 views, M = 64, the
/// same step benchmarks/compare/torch_step.py times in PyTorch.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    private CpuBackend _cpu = null!;
    private RelationalStep _step = null!;
    private Tensor _views = null!;

    [Params(4, 16)]
    public int K { get; set; }

    [Params(2)]
    public int Threads { get; set; }

    public const int M = 64;

    [GlobalSetup]
    public void Setup()
    {
        _cpu = new CpuBackend(Threads);
        var backbone = new Conv4(_cpu, 1, seed: 1);
        var head = new RelationHead(_cpu, backbone.FeatureSize, Aggregation.Cat, seed: 2);
        var adam = new Adam(_cpu, [new ParamGroup("backbone", backbone.Parameters().ToList(), 1e-3f),
            new ParamGroup("relation", head.Parameters().ToList(), 1e-3f)]);
        _step = new RelationalStep(backbone, head, adam, BinaryLossKind.Focal);
        _views = _cpu.Empty(new Shape(K * M, 1, 32, 32));
        _cpu.Upload(new InitRandom(3).Normal((int)_views.Length, 1.0), _views);
    }

    [Benchmark]
    public float TrainingStep() => _step.Run(_views, K).Loss;

    [GlobalCleanup]
    public void Cleanup()
    {
        _step.Dispose();
        _cpu.Dispose();
    }
}
