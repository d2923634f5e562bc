using RelReason.Data.Augmentation;
using RelReason.Data.Loading;

namespace RelReason.Tests.Data.Loading;

public class EvalLoaderTests
{
    [Test]
    public void BatchesFollowIndexOrderWithNormalisedImagesAndLabels()
    {
        var data = new InMemoryDataset(11, 6, 6, 3);
        var options = new EvalLoaderOptions { BatchSize = 4, Threads = 3 };
        using var loader = new EvalLoader(data, AugmentOptions.Cifar10, options);
        var transform = new EvalTransform(AugmentOptions.Cifar10, 6, 6, 3, resizeToSide: false);
        var expected = new float[transform.OutputLength];
        var indices = new List<int>();
        var sizes = new List<int>();
        foreach (LoadedBatch batch in loader.Read())
        {
            sizes.Add(batch.Count);
            Assert.That(batch.Values.Length, Is.EqualTo(batch.Count * 3 * 6 * 6), "[N, C, S, S]");
            for (int m = 0; m < batch.Count; m++)
            {
                int index = batch.ImageIndices[m];
                indices.Add(index);
                Assert.That(batch.Labels[m], Is.EqualTo(index % 10));
                transform.Render(data.ImageOf(index), expected);
                Assert.That(batch.Row(m).ToArray(), Is.EqualTo(expected));
            }
        }
        Assert.That(indices, Is.EqualTo(Enumerable.Range(0, 11)));
        Assert.That(sizes, Is.EqualTo(new[] { 4, 4, 3 }));
        Assert.That(loader.BatchCount, Is.EqualTo(3));
    }

    [Test]
    public void ResizeToSideAndDropLastAreHonoured()
    {
        var data = new InMemoryDataset(9, 12, 12, 1);
        var options = new EvalLoaderOptions { BatchSize = 4, DropLast = true, ResizeToSide = true, Threads = 1 };
        using var loader = new EvalLoader(data, AugmentOptions.Mnist with { Side = 6 }, options);
        var batches = loader.Read().Select(b => (b.Count, b.Values.Length, b.RowLength)).ToList();
        Assert.That(batches, Is.EqualTo(new[] { (4, 4 * 36, 36), (4, 4 * 36, 36) }));
    }
}
