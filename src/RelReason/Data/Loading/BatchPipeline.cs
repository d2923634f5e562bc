using System.Collections.Concurrent;

namespace RelReason.Data.Loading;

/// <summary>
/// The machinery shared by the loaders: a ring of reusable <see cref="LoadedBatch"/> buffers, filled by a pool
/// of worker threads one image at a time, and handed out in order.
/// </summary>
/// <remarks>
/// With a ring of D = prefetch + 1 buffers, batch b lives in buffer b mod D. While the consumer holds batch b,
/// batches b+1 .. b+D-1 are being filled or wait ready; moving on to b+1 frees buffer b mod D, which is then
/// scheduled for batch b+D. So at most D-1 batches are prepared ahead, and no buffer is written while the
/// consumer reads it. The work unit is one image of one batch (read its bytes, render its rows), queued on one
/// shared queue that all workers take from; results do not depend on which worker takes what.
/// </remarks>
internal sealed class BatchPipeline : IDisposable
{
    private readonly string _name;
    private readonly Job[] _ring;
    private readonly Thread[] _workers;
    private readonly BlockingCollection<WorkItem> _queue = new();
    private int _active;
    private volatile bool _disposed;

    public BatchPipeline(string name, int threads, int prefetch, Func<LoadedBatch> newBuffer)
    {
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"{name}: need at least 1 worker thread");
        }
        if (prefetch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, $"{name}: prefetch must be >= 0");
        }
        _name = name;
        _ring = new Job[prefetch + 1];
        for (int i = 0; i < _ring.Length; i++)
        {
            _ring[i] = new Job(newBuffer());
        }
        _workers = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _workers[i] = new Thread(WorkLoop) { IsBackground = true, Name = $"{name} worker {i}" };
            _workers[i].Start();
        }
    }

    /// <summary>Bytes held by all buffers of the ring.</summary>
    public long BufferBytes => _ring.Sum(j => j.Batch.BufferBytes);

    /// <summary>
    /// Hands out the batches of one epoch over <paramref name="order"/> (dataset indices), each filled by
    /// calling <paramref name="fill"/>(batch, m) for every image slot m. Only one enumeration may run at a time.
    /// Batch b of <paramref name="order"/> is reported as <see cref="LoadedBatch.Index"/> firstIndex + b.
    /// </summary>
    public IEnumerable<LoadedBatch> Run(
        int epoch, int[] order, int batchSize, bool dropLast, Action<LoadedBatch, int> fill, int firstIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int batches = dropLast ? order.Length / batchSize : (order.Length + batchSize - 1) / batchSize;
        return Enumerate(epoch, order, batchSize, batches, fill, firstIndex);
    }

    private IEnumerable<LoadedBatch> Enumerate(
        int epoch, int[] order, int batchSize, int batches, Action<LoadedBatch, int> fill, int firstIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _active, 1) != 0)
        {
            throw new InvalidOperationException(
                $"{_name}: an epoch is already being read; finish or dispose that enumeration first");
        }
        int scheduled = 0;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                while (scheduled < batches && scheduled < b + _ring.Length)
                {
                    Schedule(_ring[scheduled % _ring.Length], epoch, scheduled, firstIndex, order, batchSize, fill);
                    scheduled++;
                }
                Job job = _ring[b % _ring.Length];
                job.Done.Wait();
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (job.Error is { } error)
                {
                    int image = job.Batch.ImageIndices[job.ErrorSlot];
                    throw new InvalidOperationException(
                        $"{_name}: image {image} (slot {job.ErrorSlot} of batch {firstIndex + b}, epoch {epoch}) " +
                        $"failed: {error.Message}",
                        error);
                }
                yield return job.Batch;
            }
        }
        finally
        {
            // Stopped early (break, exception, dispose): skip the queued work of this epoch and wait until no
            // worker touches a buffer, so the next epoch can reuse them.
            foreach (Job job in _ring)
            {
                job.Cancelled = true;
            }
            // After Dispose the workers have been joined, so nothing can still write a buffer.
            if (!_disposed)
            {
                foreach (Job job in _ring)
                {
                    job.Done.Wait();
                }
            }
            Volatile.Write(ref _active, 0);
        }
    }

    private void Schedule(
        Job job, int epoch, int b, int firstIndex, int[] order, int batchSize, Action<LoadedBatch, int> fill)
    {
        int start = b * batchSize;
        int count = Math.Min(batchSize, order.Length - start);
        LoadedBatch batch = job.Batch;
        batch.Epoch = epoch;
        batch.Index = firstIndex + b;
        batch.Count = count;
        Array.Copy(order, start, batch.IndicesArray, 0, count);
        job.Fill = fill;
        job.Error = null;
        job.ErrorSlot = -1;
        job.Cancelled = false;
        job.Pending = count;
        job.Done.Reset();
        for (int m = 0; m < count; m++)
        {
            try
            {
                _queue.Add(new WorkItem(job, m));
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // Disposed concurrently: the queue takes no more work. Account for the items never queued so
                // the batch still completes, then report the disposal.
                if (Interlocked.Add(ref job.Pending, m - count) == 0)
                {
                    job.Done.Set();
                }
                throw new ObjectDisposedException(_name, "the loader was disposed while an epoch was being read");
            }
        }
    }

    private void WorkLoop()
    {
        foreach (WorkItem item in _queue.GetConsumingEnumerable())
        {
            Job job = item.Job;
            if (!job.Cancelled && Volatile.Read(ref job.Error) is null)
            {
                try
                {
                    job.Fill!(job.Batch, item.Slot);
                }
                catch (Exception e)
                {
                    if (Interlocked.CompareExchange(ref job.Error, e, null) is null)
                    {
                        job.ErrorSlot = item.Slot;
                    }
                }
            }
            if (Interlocked.Decrement(ref job.Pending) == 0)
            {
                job.Done.Set();
            }
        }
    }

    /// <summary>Stops the workers: queued work is skipped, running work finishes, then the threads exit.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (Job job in _ring)
        {
            job.Cancelled = true;
        }
        _queue.CompleteAdding();
        foreach (Thread worker in _workers)
        {
            worker.Join();
        }
        // An enumeration still open (disposed loader, enumerator not yet disposed) will wait on these events in
        // its cleanup; they are all set now, so leave them to the GC in that case.
        if (Volatile.Read(ref _active) == 0)
        {
            foreach (Job job in _ring)
            {
                job.Done.Dispose();
            }
        }
        _queue.Dispose();
    }

    private readonly record struct WorkItem(Job Job, int Slot);

    // One ring slot: the buffer plus the bookkeeping of the batch being filled in it.
    private sealed class Job
    {
        public Job(LoadedBatch batch)
        {
            Batch = batch;
        }

        public LoadedBatch Batch { get; }

        public ManualResetEventSlim Done { get; } = new(initialState: true);

        public Action<LoadedBatch, int>? Fill;
        public Exception? Error;
        public int ErrorSlot;
        public int Pending;
        public volatile bool Cancelled;
    }
}
