using System.Diagnostics;
using RelReason.Backends.Cuda;

namespace RelReason.Backends;

/// <summary>
/// Times a piece of work on a backend, the way that backend's time is real: CUDA events on the CUDA backend's
/// stream, a Stopwatch that ends after <see cref="IBackend.Synchronize"/> elsewhere (the CPU backend works
/// synchronously). <see cref="For"/> picks the kind.
/// </summary>
public abstract class BackendTimer : IDisposable
{
    /// <summary>How this timer measures: "cuda events" or "stopwatch".</summary>
    public abstract string Method { get; }

    /// <summary>A timer for <paramref name="backend"/> (a profiling wrapper is timed by its inner backend).</summary>
    public static BackendTimer For(IBackend backend) => (backend is ProfilingBackend p ? p.Inner : backend) switch
    {
        CudaBackend cuda => new EventTimer(cuda.CreateTimer()),
        IBackend other => new WallTimer(other),
    };

    /// <summary>Marks the start of the work to time.</summary>
    public abstract void Start();

    /// <summary>Waits for the work queued since <see cref="Start"/> and returns its milliseconds.</summary>
    public abstract double Stop();

    public virtual void Dispose()
    {
    }

    private sealed class EventTimer(CudaEventTimer events) : BackendTimer
    {
        public override string Method => "cuda events";

        public override void Start() => events.Start();

        public override double Stop() => events.Stop();

        public override void Dispose() => events.Dispose();
    }

    private sealed class WallTimer(IBackend backend) : BackendTimer
    {
        private long _start;

        public override string Method => "stopwatch";

        public override void Start()
        {
            backend.Synchronize();
            _start = Stopwatch.GetTimestamp();
        }

        public override double Stop()
        {
            backend.Synchronize();
            return Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        }
    }
}
