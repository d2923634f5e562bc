using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class Stl10ReaderTests
{
    private const int Side = 96;
    private const int Record = 3 * Side * Side;

    // Intended value of row y, column x, channel c of image r. 5x and 11y keep (y,x) and (x,y) apart.
    private static byte Value(int r, int c, int y, int x) => (byte)(r * 29 + c * 31 + x * 5 + y * 11);

    /// <summary>Writes images as the format stores them: planes R, G, B; within a plane column after column.</summary>
    private static byte[] Images(int count)
    {
        var bytes = new byte[count * Record];
        int at = 0;
        for (int r = 0; r < count; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int x = 0; x < Side; x++)
                {
                    for (int y = 0; y < Side; y++)
                    {
                        bytes[at++] = Value(r, c, y, x);
                    }
                }
            }
        }
        return bytes;
    }

    [Test]
    public void TrainImagesAreTransposedToRowMajorHwcAndLabelsShifted()
    {
        using var dir = new TempFolder();
        byte[] stored = Images(3);
        File.WriteAllBytes(dir.File("train_X.bin"), stored);
        File.WriteAllBytes(dir.File("train_y.bin"), [1, 10, 4]);
        using var ds = Stl10Reader.Open(dir.Path, "train");
        Assert.That((ds.Count, ds.Height, ds.Width, ds.Channels), Is.EqualTo((3, 96, 96, 3)));
        Assert.That(new[] { ds.GetLabel(0), ds.GetLabel(1), ds.GetLabel(2) }, Is.EqualTo(new[] { 0, 9, 3 }));
        Assert.That(ds.ClassNames[ds.GetLabel(1)], Is.EqualTo("truck"));

        var img = new byte[Record];
        ds.ReadImage(2, img);
        // Row 0, column 1, red: the second stored column starts at byte 96 of the plane.
        Assert.That(img[(0 * Side + 1) * 3], Is.EqualTo(stored[2 * Record + 96]));
        // Row 1, column 0, red: the second byte of the first stored column.
        Assert.That(img[(1 * Side + 0) * 3], Is.EqualTo(stored[2 * Record + 1]));
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    if (img[(y * Side + x) * 3 + c] != Value(2, c, y, x))
                    {
                        Assert.Fail($"pixel ({y},{x}) channel {c}: {img[(y * Side + x) * 3 + c]}, " +
                            $"expected {Value(2, c, y, x)}");
                    }
                }
            }
        }
    }

    [Test]
    public void UnlabeledSplitHasNoLabels()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("unlabeled_X.bin"), Images(2));
        using var ds = Stl10Reader.Open(dir.Path, "unlabeled");
        Assert.That(ds.HasLabels, Is.False);
        Assert.That(ds.ClassNames, Is.Empty);
        Assert.Throws<InvalidOperationException>(() => ds.GetLabel(0));
        var img = new byte[Record];
        ds.ReadImage(1, img);
        Assert.That(img[(5 * Side + 7) * 3 + 2], Is.EqualTo(Value(1, 2, 5, 7)));
    }

    [Test]
    public void FullSizeUnlabeledFileIsMappedNotRead()
    {
        using var dir = new TempFolder();
        string path = dir.File("unlabeled_X.bin");
        // 100,000 images (2.7 GB) as a sparse file: opening and reading the last image touches a few pages only.
        using (var f = File.Create(path))
        {
            f.SetLength(100_000L * Record);
            f.Position = 99_999L * Record;
            f.Write(Images(1));
        }
        using var ds = Stl10Reader.Open(dir.Path, "unlabeled");
        Assert.That(ds.Count, Is.EqualTo(100_000));
        var img = new byte[Record];
        ds.ReadImage(99_999, img);
        Assert.That(img[(95 * Side + 94) * 3 + 1], Is.EqualTo(Value(0, 1, 95, 94)));
        ds.ReadImage(0, img);
        Assert.That(img, Is.All.EqualTo(0));
    }

    [Test]
    public void PartialImageIsReportedWithOffset()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("test_X.bin"), Images(2)[..(Record + 5)]);
        File.WriteAllBytes(dir.File("test_y.bin"), [1, 2]);
        var e = Assert.Throws<DatasetFormatException>(() => Stl10Reader.Open(dir.Path, "test"));
        Assert.That(e!.Offset, Is.EqualTo(Record));
        Assert.That(e.Message, Does.Contain("27648-byte images").And.Contain("image 1 has only 5 bytes"));
    }

    [Test]
    public void LabelCountMustMatchImages()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("test_X.bin"), Images(2));
        File.WriteAllBytes(dir.File("test_y.bin"), [1]);
        var e = Assert.Throws<DatasetFormatException>(() => Stl10Reader.Open(dir.Path, "test"));
        Assert.That(e!.Message, Does.Contain("holds 1 labels").And.Contain("(2)"));
    }

    [TestCase((byte)0)]
    [TestCase((byte)11)]
    public void LabelOutsideOneToTenIsReported(byte bad)
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("train_X.bin"), Images(2));
        File.WriteAllBytes(dir.File("train_y.bin"), [3, bad]);
        var e = Assert.Throws<DatasetFormatException>(() => Stl10Reader.Open(dir.Path, "train"));
        Assert.That(e!.Offset, Is.EqualTo(1));
        Assert.That(e.Message, Does.Contain($"label {bad} of record 1").And.Contain("1..10"));
    }

    [Test]
    public void FoldIndicesAreParsedAsIntegers()
    {
        using var dir = new TempFolder();
        string path = dir.File("fold_indices.txt");
        // 4999 would wrap as a byte; it must come back whole.
        File.WriteAllText(path, "0 4999 300\n17  256 1\n");
        int[][] folds = Stl10Reader.ReadFoldIndices(path, 5000);
        Assert.That(folds, Has.Length.EqualTo(2));
        Assert.That(folds[0], Is.EqualTo(new[] { 0, 4999, 300 }));
        Assert.That(folds[1], Is.EqualTo(new[] { 17, 256, 1 }));
    }

    [TestCase("0 5000")]
    [TestCase("0 -1")]
    [TestCase("0 x")]
    public void BadFoldIndexNamesLineAndItem(string line)
    {
        using var dir = new TempFolder();
        string path = dir.File("fold_indices.txt");
        File.WriteAllText(path, "1 2\n" + line + "\n");
        var e = Assert.Throws<DatasetFormatException>(() => Stl10Reader.ReadFoldIndices(path, 5000));
        Assert.That(e!.Message, Does.Contain("line 2, item 2"));
    }

    [Test]
    public void ReadAfterDisposeIsRefused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("unlabeled_X.bin"), Images(1));
        var ds = Stl10Reader.Open(dir.Path, "unlabeled");
        ds.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ds.ReadImage(0, new byte[Record]));
    }
}
