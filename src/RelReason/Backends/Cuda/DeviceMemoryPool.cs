using RelReason.Backends.Cuda.Interop;

namespace RelReason.Backends.Cuda;

/// <summary>
/// A size-bucketed cache of device allocations, so a training step (which asks for the same sizes every time)
/// does not call cuMemAlloc/cuMemFree per op; both synchronise the device. Sizes are rounded up to a class
/// (multiples of 512 bytes up to 1 MiB, then four classes per power of two, so at most 25% is wasted), and a
/// freed block waits in its class for the next request of that class.
/// </summary>
/// <remarks>
/// Reuse is safe without events because the backend queues all work on one stream: a block given back while
/// kernels that read it are still queued can only be handed to work queued after them. When the device runs
/// out of memory the cache is released and the allocation retried once.
/// </remarks>
internal sealed class DeviceMemoryPool : IDisposable
{
    private readonly PrimaryContextHandle _context;
    private readonly Dictionary<long, Stack<DeviceAllocation>> _free = new();
    private readonly Lock _lock = new();
    private readonly PoolByteCounts _counts = new();
    private bool _disposed;

    internal DeviceMemoryPool(PrimaryContextHandle context)
    {
        _context = context;
    }

    /// <summary>Bytes handed out and not yet returned.</summary>
    internal long LiveBytes
    {
        get
        {
            lock (_lock)
            {
                return _counts.Live;
            }
        }
    }

    /// <summary>
    /// The high-water mark of <see cref="LiveBytes"/> since the pool was made or <see cref="ResetPeak"/>: the most
    /// device memory the backend's work held at once (tensors, index lists, scratch and cuDNN workspace, in size
    /// classes). Memory cuBLAS and cuDNN allocate for themselves, and the context's own, are not included.
    /// </summary>
    internal long PeakLiveBytes
    {
        get
        {
            lock (_lock)
            {
                return _counts.PeakLive;
            }
        }
    }

    /// <summary>Starts a new high-water mark at the bytes in use now.</summary>
    internal void ResetPeak()
    {
        lock (_lock)
        {
            _counts.ResetPeak();
        }
    }

    /// <summary>Bytes held in the cache for reuse.</summary>
    internal long CachedBytes
    {
        get
        {
            lock (_lock)
            {
                return _counts.Cached;
            }
        }
    }

    /// <summary>The size class a request of <paramref name="bytes"/> is served from.</summary>
    internal static long SizeClass(long bytes)
    {
        const long small = 1 << 20;
        if (bytes <= small)
        {
            return Math.Max(512, (bytes + 511) / 512 * 512);
        }
        long power = 1L << (int)(63 - long.LeadingZeroCount(bytes - 1));
        long step = power / 4;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A block of at least <paramref name="bytes"/> bytes; give it back with <see cref="Return"/>.</summary>
    internal DeviceAllocation Rent(long bytes)
    {
        long size = SizeClass(bytes);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_free.TryGetValue(size, out Stack<DeviceAllocation>? stack) && stack.Count > 0)
            {
                _counts.Rented(size, fromCache: true);
                return stack.Pop();
            }
        }
        DeviceAllocation? block = DeviceAllocation.TryAllocate(_context, size);
        if (block is null)
        {
            Trim();
            block = DeviceAllocation.TryAllocate(_context, size);
        }
        if (block is null)
        {
            CuDriver.Check(CuDriver.cuMemGetInfo(out nuint free, out nuint total));
            throw new CudaException("CUDA driver", (int)CUresult.CUDA_ERROR_OUT_OF_MEMORY,
                "CUDA_ERROR_OUT_OF_MEMORY",
                $"device out of memory: {size} bytes requested, {LiveBytes} in use by tensors, {(ulong)free} of " +
                $"{(ulong)total} free on the device",
                $"cuMemAlloc_v2({size})");
        }
        lock (_lock)
        {
            _counts.Rented(size, fromCache: false);
        }
        return block;
    }

    /// <summary>Gives a block back for reuse by later work on the same stream.</summary>
    internal void Return(DeviceAllocation block)
    {
        lock (_lock)
        {
            _counts.Returned(block.Bytes, cached: !_disposed);
            if (_disposed)
            {
                block.Dispose();
                return;
            }
            if (!_free.TryGetValue(block.Bytes, out Stack<DeviceAllocation>? stack))
            {
                _free[block.Bytes] = stack = new Stack<DeviceAllocation>();
            }
            stack.Push(block);
        }
    }

    /// <summary>Frees every cached block (cuMemFree synchronises, so queued work finishes first).</summary>
    internal void Trim()
    {
        lock (_lock)
        {
            foreach (Stack<DeviceAllocation> stack in _free.Values)
            {
                while (stack.Count > 0)
                {
                    stack.Pop().Dispose();
                }
            }
            _free.Clear();
            _counts.CacheFreed();
        }
    }

    public void Dispose()
    {
        Trim();
        lock (_lock)
        {
            _disposed = true;
        }
    }
}

/// <summary>
/// The byte counts of a <see cref="DeviceMemoryPool"/>: in use by callers, cached for reuse, and the high-water
/// mark of in-use bytes. Not thread-safe; the pool updates it under its lock.
/// </summary>
internal sealed class PoolByteCounts
{
    /// <summary>Bytes handed out and not yet returned.</summary>
    internal long Live { get; private set; }

    /// <summary>Bytes of returned blocks kept for reuse.</summary>
    internal long Cached { get; private set; }

    /// <summary>The largest <see cref="Live"/> since creation or the last <see cref="ResetPeak"/>.</summary>
    internal long PeakLive { get; private set; }

    /// <summary>A block of <paramref name="bytes"/> was handed out, from the cache or newly allocated.</summary>
    internal void Rented(long bytes, bool fromCache)
    {
        if (fromCache)
        {
            Cached -= bytes;
        }
        Live += bytes;
        PeakLive = Math.Max(PeakLive, Live);
    }

    /// <summary>A block came back and was cached (or freed, when <paramref name="cached"/> is false).</summary>
    internal void Returned(long bytes, bool cached)
    {
        Live -= bytes;
        if (cached)
        {
            Cached += bytes;
        }
    }

    /// <summary>Every cached block was freed.</summary>
    internal void CacheFreed() => Cached = 0;

    /// <summary>Starts a new high-water mark at the bytes in use now.</summary>
    internal void ResetPeak() => PeakLive = Live;
}
