using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Tensors;

namespace RelReason.Tests.Cuda;

/// <summary>
/// Shared set-up of the kernel tests: each runs a kernel through the <see cref="HostKernelLauncher"/> over host
/// buffers and the same op on the <see cref="CpuBackend"/>, then compares. Shapes are chosen so that element
/// counts do not divide the 256-thread block.
/// </summary>
public abstract class HostKernelTestBase
{
    private readonly List<IDisposable> _owned = new();

    private protected CpuBackend Cpu { get; private set; } = null!;

    private protected HostKernelLauncher Launcher { get; private set; } = null!;

    [SetUp]
    public void CreateBackends()
    {
        Launcher = HostKernels.Launcher;
        Cpu = new CpuBackend(2);
    }

    [TearDown]
    public void DisposeBackends()
    {
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }
        _owned.Clear();
        Cpu.Dispose();
    }

    /// <summary>A CPU tensor holding <paramref name="data"/>.</summary>
    private protected Tensor CpuTensor(float[] data, params int[] dims)
    {
        Tensor t = Cpu.Empty(new Shape(dims));
        _owned.Add(t);
        Cpu.Upload(data, t);
        return t;
    }

    private protected float[] Read(Tensor t)
    {
        var a = new float[t.Length];
        Cpu.Download(t, a);
        return a;
    }

    /// <summary>A host buffer for a kernel, filled with <paramref name="data"/>, or NaN-poisoned when null.</summary>
    private protected HostBuffer<float> Buffer(float[]? data, int length = -1)
    {
        HostBuffer<float> b = data is null ? new HostBuffer<float>(length) : new HostBuffer<float>(data);
        _owned.Add(b);
        return b;
    }

    /// <summary>Disposes <paramref name="resource"/> after the test.</summary>
    private protected void Track(IDisposable resource) => _owned.Add(resource);

    private protected HostBuffer<int> IntBuffer(int[] data)
    {
        var b = new HostBuffer<int>(data);
        _owned.Add(b);
        return b;
    }

    /// <summary>Uniform values in [-scale, scale), reproducible from the seed.</summary>
    private protected static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }
        return a;
    }
}
