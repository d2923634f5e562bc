using RelReason.Backends.Cpu;
using RelReason.Training;

namespace RelReason.Tests.Training;

/// <summary>k-NN retrieval and the linear probe on features whose answers are known.</summary>
public class EvaluationTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    private static FeatureSet Set(float[][] rows, int[] labels) =>
        new(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length, labels, ["a", "b", "c"]);

    [Test]
    public void NearestNeighboursByCosineNotByLength()
    {
        // Gallery directions: 0 and 1 point along x (label 0), 2 along y (label 1), 3 along -x (label 2).
        var gallery = Set([[10, 0], [1, 0.1f], [0, 1], [-1, 0]], [0, 0, 1, 2]);
        var queries = Set([[0.5f, 0], [0.1f, 2]], [0, 1]);
        var r = NearestNeighbours.Evaluate(_cpu, gallery, queries, k: 2);
        Assert.That(r.Neighbours[0], Is.EqualTo(new[] { 0, 1 }));
        Assert.That(r.Neighbours[1][0], Is.EqualTo(2));
        Assert.That(r.Accuracy, Is.EqualTo(1.0));
        // Query 0: both neighbours relevant (P@2 = 1); query 1: one of two (P@2 = 0.5).
        Assert.That(r.PrecisionAtK, Is.EqualTo(0.75).Within(1e-12));
        // AP@2: query 0 = (1 + 1) / 2; query 1 = 1 / min(2, 1 relevant) = 1.
        Assert.That(r.MeanAveragePrecisionAtK, Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void TopKIsOrderedAndStable()
    {
        float[] v = [0.1f, 0.9f, 0.5f, 0.9f, -1f, 0.7f];
        Assert.That(NearestNeighbours.TopK(v, 3), Is.EqualTo(new[] { 1, 3, 5 }));
        Assert.That(NearestNeighbours.TopK(v, 6), Is.EqualTo(new[] { 1, 3, 5, 2, 0, 4 }));
    }

    [Test]
    public void KMustFitTheGallery()
    {
        var g = Set([[1, 0]], [0]);
        var ex = Assert.Throws<ArgumentException>(() => NearestNeighbours.Evaluate(_cpu, g, g, 2));
        Assert.That(ex!.Message, Does.Contain("gallery size"));
    }

    [Test]
    public void LinearProbeSeparatesSeparableClasses()
    {
        var rng = new Random(5);
        float[][] centres = [[3, 0, 0], [0, 3, 0], [0, 0, 3]];
        FeatureSet Draw(int n)
        {
            var rows = new float[n][];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = i % 3;
                rows[i] = centres[i % 3].Select(c => c + (float)(rng.NextDouble() - 0.5)).ToArray();
            }
            return Set(rows, labels);
        }
        var report = LinearProbe.Run(_cpu, Draw(300), Draw(90), epochs: 30, batchSize: 32, learningRate: 1e-2f);
        Assert.That(report.Accuracy, Is.EqualTo(1.0));
        Assert.That(report.PerClassAccuracy, Is.All.EqualTo(1.0));
        Assert.That(report.Confusion[1, 1], Is.EqualTo(30));
        Assert.That(report.TrainLossByEpoch[^1], Is.LessThan(report.TrainLossByEpoch[0]));
    }
}

/// <summary>Fine-tuning and label fractions on a dataset a small network can learn in a few epochs.</summary>
public class FineTuneTests
{
    /// <summary>Two classes of 16x16 images: a bright left half, or a bright right half, with noise.</summary>
    internal static RelReason.Data.Readers.InMemoryDataset HalvesDataset(int count, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[count * 16 * 16];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            for (int y = 0; y < 16; y++)
            {
                for (int x = 0; x < 16; x++)
                {
                    bool bright = labels[i] == 0 ? x < 8 : x >= 8;
                    pixels[i * 256 + y * 16 + x] = (byte)((bright ? 180 : 40) + rng.Next(60));
                }
            }
        }
        return new RelReason.Data.Readers.InMemoryDataset("halves", 16, 16, 1, pixels, labels, ["left", "right"]);
    }

    [Test]
    public void FineTuningLearnsTheClasses()
    {
        using var cpu = new CpuBackend(2);
        var backbone = new RelReason.Nn.Conv4(cpu, 1, seed: 3);
        var norm = new RelReason.Data.Augmentation.AugmentOptions { Side = 16, Mean = [0.5f], Std = [0.25f] };
        var report = FineTuner.Run(backbone, HalvesDataset(64, 1), HalvesDataset(32, 2), norm,
            new FineTuneOptions { Epochs = 8, BatchSize = 16, ClassifierLearningRate = 1e-2f, Threads = 2 });
        Assert.That(report.Accuracy, Is.GreaterThanOrEqualTo(0.9));
        Assert.That(report.TrainLossByEpoch[^1], Is.LessThan(report.TrainLossByEpoch[0]));
    }

    [Test]
    public void LabelFractionTakesTheSameShareOfEveryClass()
    {
        var data = HalvesDataset(40, 1);
        var subset = SubsetDataset.LabelFraction(data, 0.1, seed: 7);
        Assert.That(subset.Count, Is.EqualTo(4));
        Assert.That(Enumerable.Range(0, subset.Count).Count(i => subset.GetLabel(i) == 0), Is.EqualTo(2));
        Assert.That(SubsetDataset.LabelFraction(data, 0.1, seed: 7).Indices, Is.EqualTo(subset.Indices));
        Assert.That(SubsetDataset.LabelFraction(data, 0.1, seed: 8).Indices, Is.Not.EqualTo(subset.Indices));
        Assert.Throws<ArgumentException>(() => SubsetDataset.LabelFraction(data, 0, seed: 7));
    }
}
