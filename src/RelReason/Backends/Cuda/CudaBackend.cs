using System.Runtime.CompilerServices;
using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Tensors;

namespace RelReason.Backends.Cuda;

/// <summary>
/// The GPU backend: cuDNN for convolution, batch norm, pooling and ReLU, cuBLAS for matrix products, and the
/// kernels of kernels/*.cu (PTX embedded in this assembly) for everything else. All work is queued in order on
/// one stream; only <see cref="Download"/> and <see cref="Synchronize"/> wait for it. Memory comes from a
/// size-bucketed pool. Construct it only when <see cref="CudaProbe.Run"/> reports a usable device.
/// </summary>
public sealed unsafe partial class CudaBackend : IBackend
{
    private readonly CudaDevice _device;
    private readonly CudaDeviceInfo _info;
    private readonly CudaBackendOptions _options;
    private readonly ElementwiseKernels _elementwise;
    private readonly BiasKernels _bias;
    private readonly PairKernels _pair;
    private readonly LossKernels _loss;
    private readonly OptimKernels _optim;
    private readonly PoolKernels _pool;
    private readonly AugmentKernels _augment;
    private readonly ConditionalWeakTable<PairIndex, DevicePairCache> _pairCaches = new();
    private readonly ScratchBuffer _scratch;
    private readonly ScratchBuffer _workspace;
    private bool _disposed;

    /// <summary>Opens the GPU, or throws <see cref="InvalidOperationException"/> with the probe's reason.</summary>
    public CudaBackend(CudaBackendOptions? options = null)
    {
        _options = options ?? new CudaBackendOptions();
        CudaProbeResult probe = CudaProbe.Run();
        if (!probe.IsAvailable)
        {
            throw new InvalidOperationException($"cuda backend: no usable GPU: {probe.Reason}");
        }
        _info = probe.Device!;
        _device = new CudaDevice(0, _options.AllowTf32, _options.Log);
        IKernelLauncher launcher = _device.Launcher;
        _elementwise = new ElementwiseKernels(launcher);
        _bias = new BiasKernels(launcher);
        _pair = new PairKernels(launcher);
        _loss = new LossKernels(launcher);
        _optim = new OptimKernels(launcher);
        _pool = new PoolKernels(launcher);
        _augment = new AugmentKernels(launcher);
        _scratch = new ScratchBuffer(_device.Pool);
        _workspace = new ScratchBuffer(_device.Pool);
        // Compile every module now: JIT time and any PTX error show up at start-up, not in the first step.
        long loadStart = System.Diagnostics.Stopwatch.GetTimestamp();
        _device.Launcher.LoadAll();
        ModuleLoadMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(loadStart).TotalMilliseconds;
    }

    /// <inheritdoc />
    public string Name => "cuda";

    /// <inheritdoc />
    public string Description => $"cuda ({_info}, TF32 {(_options.AllowTf32 ? "on" : "off")})";

    /// <inheritdoc />
    public string Arithmetic =>
        $"cuda: {_info.Name} (sm_{_info.ComputeCapabilityMajor}{_info.ComputeCapabilityMinor}), " +
        $"cuBLAS {_info.CublasVersion}, cuDNN {_info.CudnnVersion}, TF32 {(_options.AllowTf32 ? "on" : "off")}";

    /// <summary>The device and libraries in use.</summary>
    public CudaDeviceInfo DeviceInfo => _info;

    /// <summary>Bytes of device memory held by live tensors and by the pool's cache.</summary>
    public (long Live, long Cached) MemoryInUse => (_device.Pool.LiveBytes, _device.Pool.CachedBytes);

    /// <summary>
    /// The most device memory in use at once (tensors, index lists, scratch, cuDNN workspace) since the backend
    /// was made or <see cref="ResetPeakMemory"/>; the pool's cache of free blocks is not counted.
    /// </summary>
    public long PeakMemoryBytes => _device.Pool.PeakLiveBytes;

    /// <summary>Starts a new peak at the memory in use now.</summary>
    public void ResetPeakMemory() => _device.Pool.ResetPeak();

    /// <summary>
    /// Device memory in use by every client of the GPU now (cuMemGetInfo: total - free), including the context,
    /// cuBLAS and cuDNN's own allocations and the pool's cache.
    /// </summary>
    public long DeviceMemoryUsedBytes
    {
        get
        {
            _device.MakeCurrent();
            CuDriver.Check(CuDriver.cuMemGetInfo(out nuint free, out nuint total));
            return (long)(total - free);
        }
    }

    /// <summary>Wall time of loading (JIT-compiling) the embedded PTX modules when the backend was made.</summary>
    public double ModuleLoadMilliseconds { get; }

    /// <summary>A timer of work on this backend's stream (CUDA events); dispose it before the backend.</summary>
    public CudaEventTimer CreateTimer() => new(_device);

    // ---- memory --------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Tensor Empty(Shape shape)
    {
        _device.MakeCurrent();
        long bytes = Math.Max(1, shape.Elements) * sizeof(float);
        return new Tensor(new CudaStorage(_device.Pool, _device.Pool.Rent(bytes), shape.Elements, _device.Ordinal),
            shape);
    }

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        if (source.Length != destination.Length)
        {
            throw new ArgumentException(
                $"upload: {source.Length} host values into {destination.Describe()} ({destination.Length} elements)");
        }
        DevicePtr dst = Ptr(destination);
        fixed (float* src = source)
        {
            // From pageable memory the copy returns once the data is staged, so the span may be reused at once.
            CuDriver.Check(CuDriver.cuMemcpyHtoDAsync(dst.Address, src, (nuint)source.Length * sizeof(float),
                _device.StreamValue));
        }
    }

    /// <inheritdoc />
    public void Download(Tensor source, Span<float> destination)
    {
        if (destination.Length != source.Length)
        {
            throw new ArgumentException(
                $"download: {source.Describe()} ({source.Length} elements) into {destination.Length} host values");
        }
        DevicePtr src = Ptr(source);
        fixed (float* dst = destination)
        {
            CuDriver.Check(CuDriver.cuMemcpyDtoHAsync(dst, src.Address, (nuint)destination.Length * sizeof(float),
                _device.StreamValue));
            CuDriver.Check(CuDriver.cuStreamSynchronize(_device.StreamValue));
        }
    }

    /// <inheritdoc />
    public void Fill(Tensor destination, float value) =>
        _elementwise.Fill(Ptr(destination), destination.Length, value);

    /// <inheritdoc />
    public void Copy(Tensor source, Tensor destination)
    {
        ShapeCheck.SameLength("copy", source, destination);
        if (source.Length == 0)
        {
            return;
        }
        CuDriver.Check(CuDriver.cuMemcpyDtoDAsync(Ptr(destination).Address, Ptr(source).Address,
            (nuint)source.Length * sizeof(float), _device.StreamValue));
    }

    /// <inheritdoc />
    public void Synchronize() => _device.Synchronize();

    /// <summary>
    /// The device address of a tensor (making the context current on this thread), or an error naming the tensor
    /// when it lives elsewhere.
    /// </summary>
    internal DevicePtr Ptr(Tensor t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t.Storage is not CudaStorage s)
        {
            throw new ArgumentException($"cuda backend: tensor {t.Describe()} lives on {t.Storage.Device}");
        }
        _device.MakeCurrent();
        return s.Pointer;
    }

    /// <summary>Copies host bytes (index lists) into a new device block.</summary>
    private DeviceAllocation UploadBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        long bytes = (long)values.Length * sizeof(T);
        DeviceAllocation block = _device.Pool.Rent(Math.Max(1, bytes));
        if (bytes > 0)
        {
            fixed (T* src = values)
            {
                CuDriver.Check(CuDriver.cuMemcpyHtoDAsync(block.Pointer, src, (nuint)bytes, _device.StreamValue));
            }
        }
        return block;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _scratch.Dispose();
        _workspace.Dispose();
        foreach (KeyValuePair<PairIndex, DevicePairCache> entry in _pairCaches)
        {
            entry.Value.Dispose();
        }
        _pairCaches.Clear();
        DisposeDescriptors();
        _device.Dispose();
    }

    /// <summary>
    /// A grow-only device buffer for temporary results (reduction partials, cuDNN workspace). One op uses it at a
    /// time; as all ops are on one stream, the next op reusing it is ordered after the last reader.
    /// </summary>
    private sealed class ScratchBuffer(DeviceMemoryPool pool) : IDisposable
    {
        private DeviceAllocation? _block;

        internal DevicePtr Get(long bytes)
        {
            if (_block is null || _block.Bytes < bytes)
            {
                if (_block is not null)
                {
                    pool.Return(_block);
                }
                _block = pool.Rent(Math.Max(bytes, 4096));
            }
            return new DevicePtr(_block.Pointer);
        }

        internal DevicePtr Floats(long count) => Get(count * sizeof(float));

        public void Dispose()
        {
            if (_block is not null)
            {
                pool.Return(_block);
                _block = null;
            }
        }
    }

    /// <summary>The index lists of one <see cref="PairIndex"/> in device memory (uploaded on first use).</summary>
    private sealed class DevicePairCache(DeviceMemoryPool pool, DeviceAllocation[] blocks, DevicePairIndex index)
        : IDisposable
    {
        internal DevicePairIndex Index { get; } = index;

        public void Dispose()
        {
            foreach (DeviceAllocation block in blocks)
            {
                pool.Return(block);
            }
        }
    }

    private DevicePairIndex DevicePairs(PairIndex pairs)
    {
        if (_pairCaches.TryGetValue(pairs, out DevicePairCache? cached))
        {
            return cached.Index;
        }
        int rows = pairs.K * pairs.M;
        (int[] lo, int[] lp) = PairKernels.Invert(pairs.Left, rows);
        (int[] ro, int[] rp) = PairKernels.Invert(pairs.Right, rows);
        DeviceAllocation[] blocks =
        [
            UploadBytes<int>(pairs.Left), UploadBytes<int>(pairs.Right), UploadBytes<int>(lo), UploadBytes<int>(lp),
            UploadBytes<int>(ro), UploadBytes<int>(rp),
        ];
        var index = new DevicePairIndex(rows, pairs.Count, new DevicePtr(blocks[0].Pointer),
            new DevicePtr(blocks[1].Pointer), new DevicePtr(blocks[2].Pointer), new DevicePtr(blocks[3].Pointer),
            new DevicePtr(blocks[4].Pointer), new DevicePtr(blocks[5].Pointer));
        _pairCaches.AddOrUpdate(pairs, new DevicePairCache(_device.Pool, blocks, index));
        return index;
    }
}
