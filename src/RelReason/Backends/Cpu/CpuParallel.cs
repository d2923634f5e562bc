namespace RelReason.Backends.Cpu;

/// <summary>
/// Static partitioning of a loop over a fixed number of workers. Each worker gets one contiguous range, always
/// the same for the same count and thread number, so reductions over per-worker partials are deterministic.
/// </summary>
internal sealed class CpuParallel
{
    private readonly ParallelOptions _options;

    internal CpuParallel(int threads)
    {
        Threads = threads;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
    }

    internal int Threads { get; }

    /// <summary>Number of workers used for <paramref name="count"/> items with at least <paramref name="grain"/>
    /// each.</summary>
    internal int Workers(long count, long grain = 1) =>
        (int)Math.Clamp(count / Math.Max(1, grain), 1, Threads);

    /// <summary>Runs body(start, end, worker) over [0, count) split into <see cref="Workers"/> ranges.</summary>
    internal void For(long count, Action<long, long, int> body, long grain = 1)
    {
        int workers = Workers(count, grain);
        if (workers == 1)
        {
            body(0, count, 0);
            return;
        }
        Parallel.For(0, workers, _options, w =>
        {
            long start = count * w / workers;
            long end = count * (w + 1) / workers;
            body(start, end, w);
        });
    }
}
