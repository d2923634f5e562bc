using BenchmarkDotNet.Attributes;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Benchmarks;

/// <summary>
/// The CPU ops that dominate a Conv4 step, alone, at the shapes of K = 16, M = 64 on 32x32x1 (1,024 views):
/// the second conv layer (8 -> 16 channels at 16x16), batch norm over the first layer's output, and the head's
/// per-row product (1,024 x 64 times 64 x 512). The conv layer is 3x3 / stride 1 / pad 1, so on AVX2 + FMA CPUs it
/// takes the direct path (<see cref="ResNetConvBenchmarks"/> compares the two paths).
/// </summary>
public class OpBenchmarks
{
    private CpuBackend _cpu = null!;
    private Tensor _x = null!, _w = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!;
    private Tensor _bnX = null!, _bnY = null!, _gamma = null!, _beta = null!, _rm = null!, _rv = null!;
    private Tensor _mean = null!, _inv = null!, _dg = null!, _db = null!;
    private Tensor _f = null!, _wHead = null!, _u = null!;
    private ConvGeometry _g;

    [GlobalSetup]
    public void Setup()
    {
        _cpu = new CpuBackend(2);
        var T = NormalTensors.On(_cpu);
        _g = new ConvGeometry(1024, 8, 16, 16, 16, 3, 3, 1, 1);
        _x = T(1024, 8, 16, 16);
        _w = T(16, 8, 3, 3);
        _y = T(1024, 16, 16, 16);
        _dy = T(1024, 16, 16, 16);
        _dx = T(1024, 8, 16, 16);
        _dw = T(16, 8, 3, 3);
        _bnX = T(1024, 8, 32, 32);
        _bnY = T(1024, 8, 32, 32);
        (_gamma, _beta, _rm, _rv, _mean, _inv, _dg, _db) = (T(8), T(8), T(8), T(8), T(8), T(8), T(8), T(8));
        _f = T(1024, 64);
        _wHead = T(512, 64);
        _u = T(1024, 512);
    }

    [Benchmark]
    public void ConvForward() => _cpu.ConvForward(_x, _w, _y, _g);

    [Benchmark]
    public void ConvBackwardData() => _cpu.ConvBackwardData(_dy, _w, _dx, _g, 0f);

    [Benchmark]
    public void ConvBackwardFilter() => _cpu.ConvBackwardFilter(_x, _dy, _dw, _g, 0f);

    [Benchmark]
    public void BatchNormTraining() =>
        _cpu.BatchNormForwardTraining(_bnX, _gamma, _beta, _bnY, _rm, _rv, _mean, _inv, 0.1, 1e-5);

    [Benchmark]
    public void BatchNormBackward() =>
        _cpu.BatchNormBackward(_bnX, _bnY, _gamma, _mean, _inv, _bnY, _dg, _db, 0f);

    [Benchmark]
    public void HeadGemm() => _cpu.Gemm(_f, false, _wHead, true, _u, 1f, 0f);

    [GlobalCleanup]
    public void Cleanup() => _cpu.Dispose();
}

/// <summary>
/// The three 3x3 / stride 1 / pad 1 layer shapes of a CIFAR ResNet at K = 4, M = 32 (128 views): 16 channels on
/// 32x32, 32 on 16x16 and 64 on 8x8 (each about 0.6 GFLOP per op), through the direct convolution and through
/// im2col + GEMM, on the backend's default 2 threads.
/// </summary>
public class ResNetConvBenchmarks
{
    private CpuBackend _cpu = null!;
    private Tensor _x = null!, _w = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!;
    private ConvGeometry _g;

    /// <summary>Channels; the map side is 512 / channels (16 -> 32x32, 32 -> 16x16, 64 -> 8x8).</summary>
    [Params(16, 32, 64)]
    public int Channels { get; set; }

    [Params(true, false)]
    public bool Direct { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cpu = new CpuBackend(2) { DirectConvEnabled = Direct };
        var T = NormalTensors.On(_cpu);
        int c = Channels, side = 512 / c;
        _g = new ConvGeometry(128, c, side, side, c, 3, 3, 1, 1);
        _x = T(128, c, side, side);
        _w = T(c, c, 3, 3);
        _y = T(128, c, side, side);
        _dy = T(128, c, side, side);
        _dx = T(128, c, side, side);
        _dw = T(c, c, 3, 3);
    }

    [Benchmark]
    public void Forward() => _cpu.ConvForward(_x, _w, _y, _g);

    [Benchmark]
    public void BackwardData() => _cpu.ConvBackwardData(_dy, _w, _dx, _g, 0f);

    [Benchmark]
    public void BackwardFilter() => _cpu.ConvBackwardFilter(_x, _dy, _dw, _g, 0f);

    [GlobalCleanup]
    public void Cleanup() => _cpu.Dispose();
}

/// <summary>Benchmark inputs: tensors of the given shape filled with N(0, 1) draws from one seeded stream.</summary>
internal static class NormalTensors
{
    internal delegate Tensor Maker(params int[] dims);

    internal static Maker On(CpuBackend cpu)
    {
        var rng = new InitRandom(1);
        return dims =>
        {
            var t = cpu.Empty(new Shape(dims));
            cpu.Upload(rng.Normal((int)t.Length, 1.0), t);
            return t;
        };
    }
}
