using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Tensors;

namespace RelReason.Backends.Cuda;

/// <summary>
/// float32 device memory of one tensor, rented from the backend's <see cref="DeviceMemoryPool"/> and returned to
/// it on Dispose. A storage that is never disposed frees its block through the allocation's SafeHandle finalizer.
/// </summary>
public sealed class CudaStorage : IStorage
{
    private readonly DeviceMemoryPool _pool;
    private DeviceAllocation? _block;

    internal CudaStorage(DeviceMemoryPool pool, DeviceAllocation block, long length, int ordinal)
    {
        _pool = pool;
        _block = block;
        Length = length;
        Device = $"cuda:{ordinal}";
    }

    /// <inheritdoc />
    public long Length { get; }

    /// <inheritdoc />
    public string Device { get; }

    internal DevicePtr Pointer =>
        _block is { } b ? new DevicePtr(b.Pointer) : throw new ObjectDisposedException(nameof(CudaStorage));

    /// <inheritdoc />
    public void Dispose()
    {
        DeviceAllocation? block = Interlocked.Exchange(ref _block, null);
        if (block is not null)
        {
            _pool.Return(block);
        }
    }
}
