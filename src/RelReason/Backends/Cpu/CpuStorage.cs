using System.Runtime.InteropServices;
using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

/// <summary>
/// 64-byte aligned native float32 memory, so it can be copied to a GPU or read with any vector width without
/// staging. Blocks come from and go back to a <see cref="CpuMemoryPool"/>: a training step allocates the same
/// sizes every time, and reusing them avoids page faults on fresh memory.
/// </summary>
public sealed unsafe class CpuStorage : IStorage
{
    private readonly CpuMemoryPool _pool;
    private float* _pointer;

    internal CpuStorage(CpuMemoryPool pool, float* pointer, long length)
    {
        _pool = pool;
        _pointer = pointer;
        Length = length;
    }

    public long Length { get; }

    public string Device => "cpu";

    public float* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(CpuStorage));

    public Span<float> Span => new(Pointer, checked((int)Length));

    public void Dispose()
    {
        if (_pointer != null)
        {
            _pool.Return(_pointer, Length);
            _pointer = null;
        }
    }
}

/// <summary>A cache of freed blocks keyed by exact element count. Thread-safe.</summary>
public sealed unsafe class CpuMemoryPool : IDisposable
{
    private readonly Dictionary<long, Stack<nint>> _free = new();
    private readonly object _lock = new();
    private long _liveBytes;
    private long _cachedBytes;

    /// <summary>Bytes handed out and not yet returned.</summary>
    public long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Highest <see cref="LiveBytes"/> seen since the last <see cref="ResetPeak"/>.</summary>
    public long PeakBytes { get; private set; }

    public void ResetPeak() => PeakBytes = LiveBytes;

    public CpuStorage Rent(long length)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "element count must be >= 0");
        }
        float* p = null;
        lock (_lock)
        {
            if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                p = (float*)stack.Pop();
                _cachedBytes -= length * sizeof(float);
            }
            _liveBytes += length * sizeof(float);
            PeakBytes = Math.Max(PeakBytes, _liveBytes);
        }
        if (p == null)
        {
            nuint bytes = (nuint)Math.Max(1, length) * sizeof(float);
            p = (float*)NativeMemory.AlignedAlloc(bytes, 64);
            if (p == null)
            {
                throw new OutOfMemoryException($"cpu: could not allocate {bytes} bytes");
            }
        }
        return new CpuStorage(this, p, length);
    }

    internal void Return(float* p, long length)
    {
        lock (_lock)
        {
            if (!_free.TryGetValue(length, out var stack))
            {
                _free[length] = stack = new Stack<nint>();
            }
            stack.Push((nint)p);
            _liveBytes -= length * sizeof(float);
            _cachedBytes += length * sizeof(float);
        }
    }

    /// <summary>Frees every cached block (live blocks stay valid).</summary>
    public void Trim()
    {
        lock (_lock)
        {
            foreach (var stack in _free.Values)
            {
                while (stack.Count > 0)
                {
                    NativeMemory.AlignedFree((void*)stack.Pop());
                }
            }
            _free.Clear();
            _cachedBytes = 0;
        }
    }

    public void Dispose() => Trim();
}
