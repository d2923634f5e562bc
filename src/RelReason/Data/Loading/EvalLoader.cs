using RelReason.Data.Augmentation;

namespace RelReason.Data.Loading;

/// <summary>
/// Feeds evaluation (linear probe, k-NN, test accuracy): the dataset in index order, in batches of N images,
/// each as float32 [N, C, S, S] made by <see cref="EvalTransform"/> (no augmentation, only scaling and
/// normalisation), with labels when the dataset has them. Same threading and buffer rules as
/// <see cref="PretrainLoader"/>.
/// </summary>
public sealed class EvalLoader : IDisposable
{
    private readonly IImageDataset _dataset;
    private readonly EvalLoaderOptions _options;
    private readonly BatchPipeline _pipeline;

    /// <summary>Creates the loader and starts its worker threads.</summary>
    /// <param name="dataset">Images to read.</param>
    /// <param name="normalisation">Mean and std (and Side when resizing) of the dataset.</param>
    /// <param name="options">Batching and threading.</param>
    public EvalLoader(IImageDataset dataset, AugmentOptions normalisation, EvalLoaderOptions options)
    {
        options.Validate();
        _dataset = dataset;
        _options = options;
        Transform = new EvalTransform(
            normalisation, dataset.Height, dataset.Width, dataset.Channels, options.ResizeToSide);
        int imageBytes = Transform.ImageBytes;
        int rowLength = Transform.OutputLength;
        bool labels = dataset.HasLabels;
        _pipeline = new BatchPipeline(
            $"eval loader ({dataset.Name})",
            options.Threads,
            options.Prefetch,
            () => new LoadedBatch(options.BatchSize, imageBytes, 1, rowLength, labels, render: true));
    }

    public EvalTransform Transform { get; }

    /// <summary>Batches in one pass over the dataset.</summary>
    public int BatchCount => _options.DropLast
        ? _dataset.Count / _options.BatchSize
        : (_dataset.Count + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>
    /// One pass over the dataset in index order; each batch is valid until the next one is requested.
    /// </summary>
    public IEnumerable<LoadedBatch> Read()
    {
        int[] order = EpochOrder.Sequential(_dataset.Count);
        return _pipeline.Run(0, order, _options.BatchSize, _options.DropLast, (batch, m) => Fill(batch, m));
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
        Transform.Render(bytes, batch.RowSlot(m));
    }

    /// <summary>Stops the worker threads; queued work is dropped.</summary>
    public void Dispose() => _pipeline.Dispose();
}
