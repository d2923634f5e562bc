using BenchmarkDotNet.Attributes;
using RelReason.Backends.Cpu;
using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Benchmarks;

/// <summary>
/// The backend contract's augmentation op on the CPU backend (the C# augmenter over its workers): K = 16 views of
/// M = 64 images, 28x28x1 (the shipped Fashion-MNIST subset's shape) and 32x32x3 (CIFAR's).
/// </summary>
public class AugmentBenchmarks
{
    private const int K = 16;
    private const int M = 64;

    private CpuBackend _cpu = null!;
    private Augmenter _augmenter = null!;
    private byte[] _images = [];
    private int[] _ids = [];
    private Tensor _views = null!;
    private int _epoch;

    [Params(1, 3)]
    public int Channels { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int side = Channels == 1 ? 28 : 32;
        float[] half = Enumerable.Repeat(0.5f, Channels).ToArray();
        _cpu = new CpuBackend(2);
        _augmenter = new Augmenter(new AugmentOptions { Side = side, Mean = half, Std = half }, side, side, Channels);
        _images = new byte[M * _augmenter.ImageBytes];
        new Random(1).NextBytes(_images);
        _ids = Enumerable.Range(0, M).ToArray();
        _views = _cpu.Empty(new Shape(K * M, Channels, side, side));
    }

    /// <summary>One batch: 1,024 views. A new epoch each call, as training draws new views every epoch.</summary>
    [Benchmark]
    public void AugmentViews() => _cpu.AugmentViews(_augmenter, _images, _ids, 1, _epoch++, K, _views);

    [GlobalCleanup]
    public void Cleanup()
    {
        _views.Dispose();
        _cpu.Dispose();
    }
}
