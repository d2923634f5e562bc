using System.Security.Cryptography;
using System.Text;
using RelReason.Data;
using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class DefaultDatasetTests
{
    private const string OriginalFolder = "/usr/share/datasets/fashion-mnist";
    private const int Seed = 20170828;

    [TestCase("train", 400)]
    [TestCase("test", 100)]
    public void SplitIsBalancedWithExpectedCounts(string split, int perClass)
    {
        var ds = IdxReader.OpenSplit(DataLocations.FindDefaultDataset(), split, KnownClasses.FashionMnist, "default");
        Assert.That(ds.Count, Is.EqualTo(10 * perClass));
        Assert.That((ds.Height, ds.Width, ds.Channels), Is.EqualTo((28, 28, 1)));
        var counts = new int[10];
        for (int i = 0; i < ds.Count; i++)
        {
            counts[ds.GetLabel(i)]++;
        }
        Assert.That(counts, Is.All.EqualTo(perClass));
    }

    [TestCase("train", 400)]
    [TestCase("test", 100)]
    public void RecordsAreTheDocumentedSelectionOfTheOriginal(string split, int perClass)
    {
        if (!File.Exists(Path.Combine(OriginalFolder, "train-images-idx3-ubyte.gz")))
        {
            Assert.Ignore($"the original Fashion-MNIST is not at {OriginalFolder} (Debian dataset-fashion-mnist)");
        }
        string folder = DataLocations.FindDefaultDataset();
        var small = IdxReader.OpenSplit(folder, split, KnownClasses.FashionMnist, "default");
        var full = IdxReader.OpenSplit(OriginalFolder, split, KnownClasses.FashionMnist, "fashion-mnist");
        string prefix = IdxReader.SplitPrefix(split);
        int[] listed = File.ReadAllLines(Path.Combine(folder, prefix + "-source-indices.txt")).Select(int.Parse)
            .ToArray();

        // The README's rule, recomputed here: per class, order by SHA-256("seed:prefix:index"), keep the first N.
        var expected = new List<int>();
        for (int c = 0; c < 10; c++)
        {
            var members = Enumerable.Range(0, full.Count).Where(i => full.GetLabel(i) == c);
            expected.AddRange(members.OrderBy(i => Key(prefix, i), Comparer<byte[]>.Create(CompareBytes))
                .Take(perClass));
        }
        expected.Sort();
        Assert.That(listed, Is.EqualTo(expected));

        var a = new byte[784];
        var b = new byte[784];
        for (int k = 0; k < small.Count; k++)
        {
            small.ReadImage(k, a);
            full.ReadImage(listed[k], b);
            Assert.That(a, Is.EqualTo(b), $"record {k} (source {listed[k]})");
            Assert.That(small.GetLabel(k), Is.EqualTo(full.GetLabel(listed[k])), $"label of record {k}");
        }
    }

    [Test]
    public void LicenceNoticeShipsWithTheData()
    {
        string text = File.ReadAllText(Path.Combine(DataLocations.FindDefaultDataset(), "LICENSE"));
        Assert.That(text, Does.Contain("Zalando").And.Contain("MIT License").And.Contain("2017"));
    }

    private static byte[] Key(string prefix, int index) =>
        SHA256.HashData(Encoding.ASCII.GetBytes($"{Seed}:{prefix}:{index}"));

    private static int CompareBytes(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
