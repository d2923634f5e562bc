using RelReason.Data.Augmentation;

namespace RelReason.Data.Loading;

/// <summary>
/// Feeds relational-reasoning pretraining: each epoch visits the dataset in a seeded permutation, in batches
/// of M images, and for each batch produces K x M augmented views, float32 [K*M, C, S, S] in
/// augmentation-major order (row k*M + m is view k of image m), together with the images' bytes, dataset
/// indices and labels (when the dataset has them).
/// </summary>
/// <remarks>
/// View k of dataset image i in epoch e is <see cref="Augmenter.RenderView"/>(seed, e, i, k): it depends on
/// neither the batch it lands in nor the thread that renders it, so results are the same for any thread count.
/// Work runs on <see cref="PretrainLoaderOptions.Threads"/> threads with
/// <see cref="PretrainLoaderOptions.Prefetch"/> batches prepared ahead. Dispose to stop the workers.
/// </remarks>
public sealed class PretrainLoader : IDisposable
{
    private readonly IImageDataset _dataset;
    private readonly PretrainLoaderOptions _options;
    private readonly BatchPipeline _pipeline;

    /// <summary>Creates the loader and starts its worker threads.</summary>
    /// <param name="dataset">Images to read; must be thread-safe, as <see cref="IImageDataset"/> requires.</param>
    /// <param name="augment">The view pipeline's settings; validated against the dataset's channel count.</param>
    /// <param name="options">Batching and threading.</param>
    /// <param name="log">Receives one-off notes, e.g. colour stages skipped for one-channel images.</param>
    public PretrainLoader(
        IImageDataset dataset, AugmentOptions augment, PretrainLoaderOptions options, Action<string>? log = null)
    {
        options.Validate();
        _dataset = dataset;
        _options = options;
        Augmenter = new Augmenter(augment, dataset.Height, dataset.Width, dataset.Channels, log);
        int imageBytes = Augmenter.ImageBytes;
        int k = options.ViewsPerImage;
        int viewLength = Augmenter.ViewLength;
        bool labels = dataset.HasLabels;
        _pipeline = new BatchPipeline(
            $"pretrain loader ({dataset.Name})",
            options.Threads,
            options.Prefetch,
            () => new LoadedBatch(options.BatchSize, imageBytes, k, viewLength, labels, options.RenderViews));
    }

    public Augmenter Augmenter { get; }

    public PretrainLoaderOptions Options => _options;

    /// <summary>Batches in one epoch (the last may be partial unless dropped).</summary>
    public int BatchesPerEpoch => _options.DropLast
        ? _dataset.Count / _options.BatchSize
        : (_dataset.Count + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Bytes held by the loader's reusable buffers.</summary>
    public long BufferBytes => _pipeline.BufferBytes;

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>, in order. Each batch is valid until the next one is
    /// requested; stopping early (break) waits for in-flight work and frees the buffers for the next epoch.
    /// Errors from reading an image are rethrown here, naming the image and batch.
    /// </summary>
    /// <param name="epoch">The epoch: it keys the permutation and every view.</param>
    /// <param name="startBatch">Batches of the epoch to skip without reading them (resuming mid-epoch); the
    /// batches handed out are then the same as an uninterrupted epoch's from that batch on.</param>
    public IEnumerable<LoadedBatch> ReadEpoch(int epoch, int startBatch = 0)
    {
        int[] order = _options.Shuffle
            ? EpochOrder.Permutation(_dataset.Count, _options.Seed, epoch)
            : EpochOrder.Sequential(_dataset.Count);
        if (startBatch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, "pretrain loader: must be >= 0");
        }
        if (startBatch > 0)
        {
            order = order[Math.Min(order.Length, startBatch * _options.BatchSize)..];
        }
        return _pipeline.Run(
            epoch, order, _options.BatchSize, _options.DropLast, (batch, m) => Fill(batch, m), firstIndex: startBatch);
    }

    private void Fill(LoadedBatch batch, int m)
    {
        int index = batch.IndicesArray[m];
        Span<byte> bytes = batch.ImageSlot(m);
        _dataset.ReadImage(index, bytes);
        if (batch.HasLabels)
        {
            batch.LabelsArray[m] = _dataset.GetLabel(index);
        }
        if (!batch.HasValues)
        {
            return;
        }
        int count = batch.Count;
        for (int k = 0; k < batch.RowsPerImage; k++)
        {
            Augmenter.RenderView(_options.Seed, batch.Epoch, index, k, bytes, batch.RowSlot(k * count + m));
        }
    }

    /// <summary>Stops the worker threads; queued work is dropped.</summary>
    public void Dispose() => _pipeline.Dispose();
}
