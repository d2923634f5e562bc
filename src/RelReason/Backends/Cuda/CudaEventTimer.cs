using RelReason.Backends.Cuda.Interop;

namespace RelReason.Backends.Cuda;

/// <summary>
/// Times work on the CUDA backend's stream with two events: <see cref="Start"/> records one, <see cref="Stop"/>
/// records the other, waits for it and returns the GPU-side time between them (cuEventElapsedTime, about 0.5 us
/// resolution). If the host queues work more slowly than the GPU runs it, the stream's idle gaps count too, as
/// they do in a real step. Make one with <see cref="CudaBackend.CreateTimer"/>; use it on one thread.
/// </summary>
public sealed class CudaEventTimer : IDisposable
{
    private readonly CudaDevice _device;
    private readonly EventHandle _start;
    private readonly EventHandle _end;
    private bool _started;

    internal CudaEventTimer(CudaDevice device)
    {
        _device = device;
        device.MakeCurrent();
        // Flags 0: CU_EVENT_DEFAULT, which records timing (CU_EVENT_DISABLE_TIMING would not).
        _start = EventHandle.Create(device.Context, 0);
        _end = EventHandle.Create(device.Context, 0);
    }

    /// <summary>Marks the start: work queued after this call is timed.</summary>
    public void Start()
    {
        _device.MakeCurrent();
        CuDriver.Check(CuDriver.cuEventRecord(_start.DangerousGetHandle(), _device.StreamValue));
        _started = true;
    }

    /// <summary>Marks the end, waits for the stream to reach it, and returns the milliseconds since Start.</summary>
    public double Stop()
    {
        if (!_started)
        {
            throw new InvalidOperationException("cuda event timer: Stop without Start");
        }
        _device.MakeCurrent();
        nint end = _end.DangerousGetHandle();
        CuDriver.Check(CuDriver.cuEventRecord(end, _device.StreamValue));
        CuDriver.Check(CuDriver.cuEventSynchronize(end));
        CuDriver.Check(CuDriver.cuEventElapsedTime(out float ms, _start.DangerousGetHandle(), end));
        _started = false;
        return ms;
    }

    public void Dispose()
    {
        _start.Dispose();
        _end.Dispose();
    }
}
