using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Data.Loading;
using RelReason.Nn;

namespace RelReason.Training;

/// <summary>Accuracy of a classifier on a labelled split, with the per-class view.</summary>
public sealed record ClassificationReport(double Accuracy, double[] PerClassAccuracy, int[,] Confusion,
    IReadOnlyList<string> Classes, IReadOnlyList<double> TestAccuracyByEpoch, IReadOnlyList<double> TrainLossByEpoch);

/// <summary>
/// Linear evaluation (METHOD.md 4.1): a Linear(D -> classes) trained with Adam (lr 1e-3, no weight decay, constant)
/// and cross-entropy on frozen features, batch 128, shuffled each epoch, 100 epochs; the last epoch's classifier is
/// reported (no early stopping).
/// </summary>
public static class LinearProbe
{
    public static ClassificationReport Run(IBackend backend, FeatureSet train, FeatureSet test, int epochs = 100,
        int batchSize = 128, float learningRate = 1e-3f, int seed = 1, Action<int, double, double>? progress = null)
    {
        if (train.Labels.Length == 0 || test.Labels.Length == 0)
        {
            throw new ArgumentException("linear evaluation needs labelled train and test splits");
        }
        int classes = Math.Max(train.Classes.Count, Math.Max(train.Labels.Max(), test.Labels.Max()) + 1);
        var classifier = new Linear(backend, new InitRandom((ulong)seed).Fork("classifier"), train.Dimension, classes);
        using var adam = new Adam(backend,
            [new ParamGroup("classifier", classifier.Parameters().ToList(), learningRate)]);
        var testAccuracy = new List<double>();
        var trainLoss = new List<double>();
        var xBuffer = new float[batchSize * train.Dimension];
        var yBuffer = new float[batchSize];
        var lossHost = new float[2];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int[] order = EpochOrder.Permutation(train.Count, seed, epoch);
            double lossSum = 0;
            for (int start = 0; start < train.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, train.Count - start);
                for (int i = 0; i < n; i++)
                {
                    train.Row(order[start + i]).CopyTo(xBuffer.AsSpan(i * train.Dimension));
                    yBuffer[i] = train.Labels[order[start + i]];
                }
                using var tape = new Tape(backend);
                var x = tape.Constant(xBuffer.AsSpan(0, n * train.Dimension), n, train.Dimension);
                var y = tape.Constant(yBuffer.AsSpan(0, n), n);
                var loss = Ops.CrossEntropy(tape, classifier.Forward(tape, x), y);
                classifier.ZeroGrad();
                tape.Backward();
                adam.Step();
                backend.Download(loss, lossHost);
                lossSum += lossHost[0] * n;
            }
            trainLoss.Add(lossSum / train.Count);
            if (progress != null || epoch == epochs - 1 || (epoch + 1) % 10 == 0)
            {
                double acc = Predict(backend, classifier, test).Accuracy;
                testAccuracy.Add(acc);
                progress?.Invoke(epoch + 1, lossSum / train.Count, acc);
            }
        }
        return Predict(backend, classifier, test) with
        {
            TestAccuracyByEpoch = testAccuracy,
            TrainLossByEpoch = trainLoss,
        };
    }

    /// <summary>Top-1 accuracy, per-class accuracy and confusion matrix (rows: true class, columns:
    /// predicted).</summary>
    public static ClassificationReport Predict(IBackend backend, Linear classifier, FeatureSet data)
    {
        int classes = classifier.OutFeatures;
        var confusion = new int[classes, classes];
        const int chunk = 1024;
        var logits = new float[chunk * classes];
        for (int start = 0; start < data.Count; start += chunk)
        {
            int n = Math.Min(chunk, data.Count - start);
            using var tape = new Tape(backend, record: false);
            var x = tape.Constant(data.Features.AsSpan(start * data.Dimension, n * data.Dimension), n, data.Dimension);
            var z = classifier.Forward(tape, x);
            backend.Download(z, logits.AsSpan(0, n * classes));
            for (int i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * classes, classes);
                int best = 0;
                for (int c = 1; c < classes; c++)
                {
                    best = row[c] > row[best] ? c : best;
                }
                confusion[data.Labels[start + i], best]++;
            }
        }
        return Summarise(confusion, data.Classes);
    }

    internal static ClassificationReport Summarise(int[,] confusion, IReadOnlyList<string> classes)
    {
        int k = confusion.GetLength(0);
        long correct = 0, total = 0;
        var perClass = new double[k];
        for (int i = 0; i < k; i++)
        {
            long row = 0;
            for (int j = 0; j < k; j++)
            {
                row += confusion[i, j];
            }
            perClass[i] = row == 0 ? double.NaN : (double)confusion[i, i] / row;
            correct += confusion[i, i];
            total += row;
        }
        return new ClassificationReport(total == 0 ? 0 : (double)correct / total, perClass, confusion, classes, [], []);
    }
}
