using System.Runtime.InteropServices;
using RelReason.Data.Augmentation;
using RelReason.Data.Loading;

namespace RelReason.Tests.Data.Loading;

public class PretrainLoaderTests
{
    private static readonly AugmentOptions Small = AugmentOptions.Cifar10 with { Side = 8 };

    private static PretrainLoader Create(InMemoryDataset data, int threads = 2, int batch = 4, int k = 3,
        bool dropLast = false, int prefetch = 2, bool render = true)
    {
        var options = new PretrainLoaderOptions
        {
            ViewsPerImage = k,
            BatchSize = batch,
            Seed = 9,
            Threads = threads,
            Prefetch = prefetch,
            DropLast = dropLast,
            RenderViews = render,
        };
        return new PretrainLoader(data, Small, options);
    }

    // Copies what must outlive the batch buffer (it is reused once the next batch is requested).
    private static List<(int[] Indices, int[] Labels, byte[] Images, float[] Values)> ReadAll(
        PretrainLoader loader, int epoch)
    {
        return loader.ReadEpoch(epoch).Select(b =>
            (b.ImageIndices.ToArray(), b.Labels.ToArray(), b.Images.ToArray(), b.Values.ToArray())).ToList();
    }

    [Test]
    public void EveryImageAppearsExactlyOncePerEpochInThePermutationOrder()
    {
        var data = new InMemoryDataset(10, 9, 9, 3);
        using PretrainLoader loader = Create(data);
        Assert.That(loader.BatchesPerEpoch, Is.EqualTo(3));
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var batches = ReadAll(loader, epoch);
            Assert.That(batches.Select(b => b.Indices.Length), Is.EqualTo(new[] { 4, 4, 2 }), "last batch is kept");
            int[] seen = batches.SelectMany(b => b.Indices).ToArray();
            Assert.That(seen, Is.EqualTo(EpochOrder.Permutation(10, 9, epoch)));
            Assert.That(seen.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, 10)));
        }
        Assert.That(ReadAll(loader, 0).SelectMany(b => b.Indices),
            Is.Not.EqualTo(ReadAll(loader, 1).SelectMany(b => b.Indices)));
    }

    [Test]
    public void DropLastDropsOnlyThePartialBatch()
    {
        var data = new InMemoryDataset(10, 9, 9, 3);
        using PretrainLoader loader = Create(data, dropLast: true);
        Assert.That(loader.BatchesPerEpoch, Is.EqualTo(2));
        var batches = ReadAll(loader, 0);
        Assert.That(batches.Select(b => b.Indices.Length), Is.EqualTo(new[] { 4, 4 }));
        Assert.That(batches.SelectMany(b => b.Indices), Is.EqualTo(EpochOrder.Permutation(10, 9, 0).Take(8)));
    }

    [Test]
    public void ViewsEqualDirectAugmentationInAugmentationMajorOrder()
    {
        var data = new InMemoryDataset(7, 10, 12, 3);
        using PretrainLoader loader = Create(data, batch: 3, k: 4);
        int viewLength = 3 * 8 * 8;
        var expected = new float[viewLength];
        int batchesSeen = 0;
        foreach (LoadedBatch batch in loader.ReadEpoch(5))
        {
            int m = batch.Count;
            Assert.That(batch.Rows, Is.EqualTo(4 * m));
            Assert.That(batch.Values.Length, Is.EqualTo(4 * m * viewLength));
            for (int i = 0; i < m; i++)
            {
                int index = batch.ImageIndices[i];
                Assert.That(batch.Images.Slice(i * 360, 360).ToArray(), Is.EqualTo(data.ImageOf(index)));
                Assert.That(batch.Labels[i], Is.EqualTo(data.GetLabel(index)));
                for (int k = 0; k < 4; k++)
                {
                    loader.Augmenter.RenderView(9, 5, index, k, data.ImageOf(index), expected);
                    Assert.That(MemoryMarshal.Cast<float, int>(batch.Row(k * m + i)).SequenceEqual(
                        MemoryMarshal.Cast<float, int>(expected.AsSpan())), Is.True, $"view {k} of image {index}");
                }
            }
            batchesSeen++;
        }
        Assert.That(batchesSeen, Is.EqualTo(3), "7 images in batches of 3, the last with 1");
    }

    [TestCase(1, 0)]
    [TestCase(3, 1)]
    [TestCase(4, 3)]
    public void ResultsDoNotDependOnThreadCountOrPrefetch(int threads, int prefetch)
    {
        var data = new InMemoryDataset(11, 9, 10, 3);
        using PretrainLoader reference = Create(data, threads: 1, prefetch: 0);
        using PretrainLoader other = Create(data, threads: threads, prefetch: prefetch);
        var a = ReadAll(reference, 2);
        var b = ReadAll(other, 2);
        Assert.That(b, Has.Count.EqualTo(a.Count));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.That(b[i].Indices, Is.EqualTo(a[i].Indices));
            Assert.That(MemoryMarshal.Cast<float, int>(b[i].Values.AsSpan()).SequenceEqual(
                MemoryMarshal.Cast<float, int>(a[i].Values.AsSpan())), Is.True, $"batch {i}");
        }
    }

    [Test]
    public void UnshuffledEpochsVisitImagesInIndexOrder()
    {
        var data = new InMemoryDataset(6, 8, 8, 3, labels: false);
        var options = new PretrainLoaderOptions { ViewsPerImage = 2, BatchSize = 4, Shuffle = false, Threads = 2 };
        using var loader = new PretrainLoader(data, Small, options);
        var batches = ReadAll(loader, 3);
        Assert.That(batches.SelectMany(b => b.Indices), Is.EqualTo(Enumerable.Range(0, 6)));
        Assert.That(batches.All(b => b.Labels.Length == 0), Is.True, "no labels in the dataset, none returned");
    }

    [Test]
    public void BytesOnlyModeHandsOutImagesWithoutViews()
    {
        var data = new InMemoryDataset(5, 8, 8, 3);
        using PretrainLoader loader = Create(data, render: false);
        foreach (LoadedBatch batch in loader.ReadEpoch(0))
        {
            Assert.That(batch.HasValues, Is.False);
            Assert.That(batch.Values.Length, Is.Zero);
            for (int i = 0; i < batch.Count; i++)
            {
                byte[] expected = data.ImageOf(batch.ImageIndices[i]);
                Assert.That(batch.Images.Slice(i * 192, 192).ToArray(), Is.EqualTo(expected));
            }
        }
    }

    [Test]
    public void StoppingEarlyLeavesTheLoaderReadyForTheNextEpoch()
    {
        var data = new InMemoryDataset(20, 8, 8, 3);
        using PretrainLoader loader = Create(data, batch: 2, prefetch: 3);
        foreach (LoadedBatch batch in loader.ReadEpoch(0))
        {
            if (batch.Index == 1)
            {
                break;
            }
        }
        var full = ReadAll(loader, 1);
        Assert.That(full.SelectMany(b => b.Indices), Is.EqualTo(EpochOrder.Permutation(20, 9, 1)));
    }

    [Test]
    public void StartingMidEpochGivesTheSameBatchesAsAnUninterruptedEpoch()
    {
        var data = new InMemoryDataset(11, 8, 8, 3);
        using PretrainLoader loader = Create(data, batch: 3);
        var whole = ReadAll(loader, 4);
        var resumed = loader.ReadEpoch(4, startBatch: 2).Select(b => (b.Index, b.Values.ToArray())).ToList();
        Assert.That(resumed.Select(r => r.Index), Is.EqualTo(new[] { 2, 3 }));
        for (int i = 0; i < resumed.Count; i++)
        {
            Assert.That(resumed[i].Item2, Is.EqualTo(whole[i + 2].Values), $"batch {i + 2}");
        }
        Assert.That(loader.ReadEpoch(4, startBatch: 9), Is.Empty);
    }

    [Test]
    public void OnlyOneEpochCanBeReadAtATime()
    {
        var data = new InMemoryDataset(8, 8, 8, 3);
        using PretrainLoader loader = Create(data);
        using IEnumerator<LoadedBatch> first = loader.ReadEpoch(0).GetEnumerator();
        Assert.That(first.MoveNext(), Is.True);
        using IEnumerator<LoadedBatch> second = loader.ReadEpoch(1).GetEnumerator();
        Assert.Throws<InvalidOperationException>(() => second.MoveNext());
    }

    [Test]
    public void AReadErrorNamesTheImageAndBatch()
    {
        var data = new InMemoryDataset(9, 8, 8, 3, failingIndex: 6);
        using PretrainLoader loader = Create(data);
        var error = Assert.Throws<InvalidOperationException>(() => ReadAll(loader, 0));
        Assert.That(error!.Message, Does.Contain("image 6").And.Contain("epoch 0").And.Contain("unreadable"));
        Assert.That(error.InnerException, Is.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void DisposeStopsTheWorkersEvenMidEpoch()
    {
        var data = new InMemoryDataset(40, 8, 8, 3);
        PretrainLoader loader = Create(data, threads: 3, batch: 2, prefetch: 4);
        IEnumerator<LoadedBatch> open = loader.ReadEpoch(0).GetEnumerator();
        Assert.That(open.MoveNext(), Is.True);
        var dispose = Task.Run(loader.Dispose);
        Assert.That(dispose.Wait(TimeSpan.FromSeconds(30)), Is.True, "Dispose did not return");
        Assert.Throws<ObjectDisposedException>(() => open.MoveNext());
        open.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.ReadEpoch(1));
        loader.Dispose();
    }

    [Test]
    public void BadOptionsAreRejected()
    {
        var data = new InMemoryDataset(4, 8, 8, 3);
        Assert.Throws<ArgumentException>(
            () => new PretrainLoader(data, Small, new PretrainLoaderOptions { ViewsPerImage = 0 }));
        Assert.Throws<ArgumentException>(
            () => new PretrainLoader(data, Small, new PretrainLoaderOptions { Threads = 0 }));
        Assert.Throws<ArgumentException>(
            () => new PretrainLoader(data, AugmentOptions.Mnist, new PretrainLoaderOptions()));
    }
}
