using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Data.Loading;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Training;

/// <summary>Settings of fine-tuning (METHOD.md 4.2).</summary>
public sealed record FineTuneOptions
{
    public int Epochs { get; init; } = 100;

    public int BatchSize { get; init; } = 128;

    /// <summary>The reference gives the backbone 1e-3 and the classifier 1e-4 (as written in its code).</summary>
    public float BackboneLearningRate { get; init; } = 1e-3f;

    public float ClassifierLearningRate { get; init; } = 1e-4f;

    public float WeightDecay { get; init; } = 1e-5f;

    /// <summary>
    /// Multiply both learning rates by 0.1 at 50% and 75% of the epochs. The reference means to do this but counts
    /// from 200 epochs whatever it runs, so with its 100 epochs it never decays; here the schedule follows the
    /// epochs actually run.
    /// </summary>
    public bool StepDecay { get; init; } = true;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Trains the whole network with labels: backbone in training mode plus a linear classifier, cross-entropy, Adam
/// with L2 weight decay; images are only normalised (the reference's "lineval" transform).
/// </summary>
public static class FineTuner
{
    public static ClassificationReport Run(Backbone backbone, IImageDataset train, IImageDataset test,
        AugmentOptions normalisation, FineTuneOptions options, Action<int, double, double>? progress = null) =>
        Run(backbone, train, test, normalisation, options, progress, out _);

    /// <summary>As the other overload, also handing out the trained classifier.</summary>
    public static ClassificationReport Run(Backbone backbone, IImageDataset train, IImageDataset test,
        AugmentOptions normalisation, FineTuneOptions options, Action<int, double, double>? progress,
        out Linear trained)
    {
        var backend = backbone.Backend;
        int classes = Math.Max(train.ClassNames.Count, 2);
        var classifier = new Linear(backend, new InitRandom((ulong)options.Seed).Fork("classifier"),
            backbone.FeatureSize, classes);
        trained = classifier;
        using var adam = new Adam(backend,
            [new ParamGroup("backbone", backbone.Parameters().ToList(), options.BackboneLearningRate),
             new ParamGroup("classifier", classifier.Parameters().ToList(), options.ClassifierLearningRate)],
            weightDecay: options.WeightDecay);
        // No augmentation: a crop of the whole image at its own size, no flip, no jitter.
        var identity = normalisation with
        {
            ScaleMin = 1f, ScaleMax = 1f, RatioMin = 1f, RatioMax = 1f, FlipProbability = 0f,
            JitterProbability = 0f, GrayscaleProbability = 0f,
        };
        using var loader = new PretrainLoader(train, identity, new PretrainLoaderOptions
        {
            ViewsPerImage = 1, BatchSize = options.BatchSize, Seed = options.Seed, Threads = options.Threads,
        });
        var labels = new float[options.BatchSize];
        var lossHost = new float[2];
        var history = new List<double>();
        var losses = new List<double>();
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            float decay = !options.StepDecay ? 1f
                : epoch >= (int)(0.75 * options.Epochs) ? 0.01f
                : epoch >= (int)(0.5 * options.Epochs) ? 0.1f : 1f;
            adam.SetLearningRates([options.BackboneLearningRate * decay, options.ClassifierLearningRate * decay]);
            backbone.Train();
            double lossSum = 0;
            foreach (var batch in loader.ReadEpoch(epoch))
            {
                if (batch.Count < 2)
                {
                    continue; // batch norm in training mode needs two images
                }
                using var tape = new Tape(backend);
                var x = tape.Empty(batch.Count, train.Channels, identity.Side, identity.Side);
                backend.Upload(batch.Values, x);
                for (int i = 0; i < batch.Count; i++)
                {
                    labels[i] = batch.Labels[i];
                }
                var y = tape.Constant(labels.AsSpan(0, batch.Count), batch.Count);
                var loss = Ops.CrossEntropy(tape, classifier.Forward(tape, backbone.Forward(tape, x)), y);
                backbone.ZeroGrad();
                classifier.ZeroGrad();
                tape.Backward();
                adam.Step();
                backend.Download(loss, lossHost);
                lossSum += lossHost[0] * batch.Count;
            }
            losses.Add(lossSum / train.Count);
            if (progress != null || epoch == options.Epochs - 1)
            {
                double acc = Evaluate(backbone, classifier, test, normalisation, options.Threads).Accuracy;
                history.Add(acc);
                progress?.Invoke(epoch + 1, lossSum / train.Count, acc);
            }
        }
        return Evaluate(backbone, classifier, test, normalisation, options.Threads) with
        {
            TestAccuracyByEpoch = history,
            TrainLossByEpoch = losses,
        };
    }

    private static ClassificationReport Evaluate(Backbone backbone, Linear classifier, IImageDataset test,
        AugmentOptions normalisation, int threads) =>
        LinearProbe.Predict(backbone.Backend, classifier,
            FeatureExtractor.Extract(backbone, test, normalisation, threads));
}
