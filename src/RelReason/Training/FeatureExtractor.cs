using RelReason.Autograd;
using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Data.Loading;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Training;

/// <summary>Frozen features of a dataset split: [N, D] row-major, with labels when the split has them.</summary>
public sealed record FeatureSet(float[] Features, int Count, int Dimension, int[] Labels, IReadOnlyList<string> Classes)
{
    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * Dimension, Dimension);
}

/// <summary>Runs a backbone in evaluation mode (running batch-norm statistics, no gradients) over a split.</summary>
public static class FeatureExtractor
{
    public static FeatureSet Extract(Backbone backbone, IImageDataset dataset, AugmentOptions normalisation,
        int threads, int batchSize = 256)
    {
        bool wasTraining = backbone.IsTraining;
        backbone.Eval();
        try
        {
            int d = backbone.FeatureSize;
            var features = new float[(long)dataset.Count * d];
            var labels = new int[dataset.HasLabels ? dataset.Count : 0];
            using var loader = new EvalLoader(dataset, normalisation,
                new EvalLoaderOptions { BatchSize = batchSize, Threads = threads, ResizeToSide = true });
            int row = 0;
            var backend = backbone.Backend;
            foreach (var batch in loader.Read())
            {
                using var tape = new Tape(backend, record: false);
                var x = tape.Empty(batch.Count, dataset.Channels, normalisation.Side, normalisation.Side);
                backend.Upload(batch.Values, x);
                var f = backbone.Forward(tape, x);
                backend.Download(f, features.AsSpan(row * d, batch.Count * d));
                if (dataset.HasLabels)
                {
                    batch.Labels.CopyTo(labels.AsSpan(row));
                }
                row += batch.Count;
            }
            return new FeatureSet(features, dataset.Count, d, labels, dataset.ClassNames);
        }
        finally
        {
            backbone.Train(wasTraining);
        }
    }
}
