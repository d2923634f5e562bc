using System.Diagnostics;
using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Nn;

namespace RelReason.Training;

/// <summary>One k-NN reading taken during pretraining.</summary>
/// <param name="Accuracy">k-NN top-1 on the query split, in [0, 1].</param>
/// <param name="Seconds">Wall time of the reading: features of both splits and the neighbour search.</param>
public sealed record KnnReading(double Accuracy, int K, int Queries, int Gallery, double Seconds);

/// <summary>
/// Watches what the pair accuracy cannot show: how good the backbone's features are for the downstream task, while
/// pretraining runs. Every reading extracts frozen features (evaluation mode: running batch-norm statistics, no
/// gradients, no change to any training state) of the dataset's labelled train split (the gallery) and of its test
/// split (the queries; tiny-ImageNet's labelled "val"), and scores cosine k-NN top-1 as <c>relreason knn</c> does.
/// </summary>
public sealed class KnnMonitor : IDisposable
{
    /// <summary>Neighbours per query, as in the knn command's default.</summary>
    public const int Neighbours = 20;

    private readonly LabelledSplits _splits;
    private readonly AugmentOptions _normalisation;

    private KnnMonitor(LabelledSplits splits, AugmentOptions normalisation)
    {
        _splits = splits;
        _normalisation = normalisation;
    }

    /// <summary>The split names used: gallery and queries.</summary>
    public (string Gallery, string Queries) Splits => (_splits.Train.Name, _splits.Test.Name);

    /// <summary>
    /// Opens the labelled splits of <paramref name="options"/>' dataset (reusing <paramref name="pretrainingSplit"/>
    /// when it is the train split). Views are <paramref name="side"/> pixels, normalised as in pretraining.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset has no labelled train split or no labelled split to query
    /// with; the message names the dataset and the option.</exception>
    public static KnnMonitor Open(PretrainOptions options, int side, IImageDataset? pretrainingSplit = null,
        Action<string>? warn = null)
    {
        var splits = LabelledSplits.Open(options, "--knn-every", pretrainingSplit, warn);
        var (mean, std) = DatasetCatalog.Normalization(options.Dataset, splits.Train.Channels);
        return new KnnMonitor(splits, new AugmentOptions { Side = side, Mean = mean, Std = std });
    }

    /// <summary>Scores <paramref name="backbone"/> as it is now; its train/eval mode is restored afterwards.</summary>
    public KnnReading Measure(Backbone backbone, int threads)
    {
        var clock = Stopwatch.StartNew();
        var gallery = FeatureExtractor.Extract(backbone, _splits.Train, _normalisation, threads);
        var queries = FeatureExtractor.Extract(backbone, _splits.Test, _normalisation, threads);
        int k = Math.Min(Neighbours, gallery.Count);
        var report = NearestNeighbours.Evaluate(backbone.Backend, gallery, queries, k);
        return new KnnReading(report.Accuracy, k, queries.Count, gallery.Count, clock.Elapsed.TotalSeconds);
    }

    public void Dispose() => _splits.Dispose();
}
