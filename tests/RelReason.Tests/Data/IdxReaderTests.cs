using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class IdxReaderTests
{
    private const string FashionFolder = "/usr/share/datasets/fashion-mnist";

    // Pixel (r, c) of image i is a value no other position of a 3-image 4x5 set shares, so any misplaced byte shows.
    private static byte Pattern(int i, int r, int c) => (byte)(i * 20 + r * 5 + c);

    private static byte[] PatternPixels(int count, int rows, int cols)
    {
        var px = new byte[count * rows * cols];
        for (int i = 0; i < count; i++)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    px[(i * rows + r) * cols + c] = Pattern(i, r, c);
                }
            }
        }
        return px;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void OpensTrainAndTestSplitsWithExactPixels(bool gzip)
    {
        using var dir = new TempFolder();
        string ext = gzip ? ".gz" : "";
        IdxWriter.WriteImages(dir.File("train-images-idx3-ubyte" + ext), 3, 4, 5, PatternPixels(3, 4, 5), gzip);
        IdxWriter.WriteLabels(dir.File("train-labels-idx1-ubyte" + ext), [7, 0, 9], gzip);
        IdxWriter.WriteImages(dir.File("t10k-images-idx3-ubyte" + ext), 1, 4, 5, PatternPixels(1, 4, 5), gzip);
        IdxWriter.WriteLabels(dir.File("t10k-labels-idx1-ubyte" + ext), [2], gzip);

        var train = IdxReader.OpenSplit(dir.Path, "train", KnownClasses.FashionMnist, "fashion-mnist");
        Assert.That(train.Name, Is.EqualTo("fashion-mnist/train"));
        Assert.That((train.Count, train.Height, train.Width, train.Channels), Is.EqualTo((3, 4, 5, 1)));
        Assert.That(train.HasLabels, Is.True);
        Assert.That(new[] { train.GetLabel(0), train.GetLabel(1), train.GetLabel(2) }, Is.EqualTo(new[] { 7, 0, 9 }));
        Assert.That(train.ClassNames[train.GetLabel(0)], Is.EqualTo("Sneaker"));

        var img = new byte[20];
        train.ReadImage(2, img);
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 5; c++)
            {
                Assert.That(img[r * 5 + c], Is.EqualTo(Pattern(2, r, c)), $"pixel ({r},{c})");
            }
        }

        var test = IdxReader.OpenSplit(dir.Path, "test", KnownClasses.Mnist, "mnist");
        Assert.That(test.Count, Is.EqualTo(1));
        Assert.That(test.ClassNames[test.GetLabel(0)], Is.EqualTo("2"));
    }

    [Test]
    public void UnknownSplitIsRefused()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => IdxReader.OpenSplit(dir.Path, "val", KnownClasses.Mnist, "m"));
        Assert.That(e!.Message, Does.Contain("'val'"));
    }

    [Test]
    public void MissingFileNamesBothCandidates()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(
            () => IdxReader.OpenSplit(dir.Path, "train", KnownClasses.Mnist, "m"));
        Assert.That(e!.Message, Does.Contain("train-images-idx3-ubyte.gz"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TruncatedPayloadNamesFileOffsetAndRecord(bool gzip)
    {
        using var dir = new TempFolder();
        var full = IdxWriter.Encode(0x0803, [3, 4, 5], PatternPixels(3, 4, 5));
        string path = dir.File("img");
        // Cut inside record 1: 16-byte header + 20 bytes of record 0 + 7 of record 1.
        IdxWriter.Write(path, full[..(16 + 27)], gzip);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(path));
        Assert.That(e!.FilePath, Does.StartWith(path));
        Assert.That(e.Offset, Is.EqualTo(16 + 27));
        Assert.That(e.Message, Does.Contain("truncated").And.Contain("record 1"));
    }

    [Test]
    public void TruncatedHeaderIsReported()
    {
        using var dir = new TempFolder();
        string path = dir.File("img");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0]);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(path));
        Assert.That(e!.Offset, Is.EqualTo(4));
        Assert.That(e.Message, Does.Contain("dimension 0"));
    }

    [Test]
    public void WrongMagicIsReportedWithExpectedValue()
    {
        using var dir = new TempFolder();
        string path = dir.File("labels");
        // An image file where a label file is expected.
        IdxWriter.WriteImages(path, 1, 2, 2, [1, 2, 3, 4], gzip: false);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(path, 10));
        Assert.That(e!.Offset, Is.EqualTo(0));
        Assert.That(e.Message, Does.Contain("2051").And.Contain("expected 2049"));
    }

    [Test]
    public void WrongTypeByteIsReported()
    {
        using var dir = new TempFolder();
        string path = dir.File("img");
        // Type 0x0D (float32) with 3 dims.
        IdxWriter.Write(path, IdxWriter.Encode(0x0D03, [1, 1, 1], [0, 0, 0, 0]), gzip: false);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(path));
        Assert.That(e!.Message, Does.Contain("0x08"));
    }

    [Test]
    public void TrailingBytesMeanSizeIsNotWholeRecords()
    {
        using var dir = new TempFolder();
        string path = dir.File("img");
        var bytes = IdxWriter.Encode(0x0803, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        IdxWriter.Write(path, bytes, gzip: false);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(path));
        Assert.That(e!.Offset, Is.EqualTo(16 + 8));
        Assert.That(e.Message, Does.Contain("after the last of 2 records"));
    }

    [Test]
    public void LabelOutOfRangeNamesRecordAndOffset()
    {
        using var dir = new TempFolder();
        string path = dir.File("labels");
        IdxWriter.WriteLabels(path, [1, 2, 10, 3], gzip: false);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(path, 10));
        Assert.That(e!.Offset, Is.EqualTo(8 + 2));
        Assert.That(e.Message, Does.Contain("record 2").And.Contain("0..9"));
    }

    [Test]
    public void LabelAndImageCountsMustAgree()
    {
        using var dir = new TempFolder();
        IdxWriter.WriteImages(dir.File("train-images-idx3-ubyte"), 2, 1, 1, [5, 6], gzip: false);
        IdxWriter.WriteLabels(dir.File("train-labels-idx1-ubyte"), [1, 2, 3], gzip: false);
        var e = Assert.Throws<DatasetFormatException>(
            () => IdxReader.OpenSplit(dir.Path, "train", KnownClasses.Mnist, "m"));
        Assert.That(e!.Message, Does.Contain("3 labels").And.Contain("2 images"));
    }

    [Test]
    public void ReadsRealFashionMnistTestSplit()
    {
        if (!File.Exists(Path.Combine(FashionFolder, "t10k-images-idx3-ubyte.gz")))
        {
            Assert.Ignore($"Fashion-MNIST is not installed at {FashionFolder} (Debian dataset-fashion-mnist)");
        }
        var test = IdxReader.OpenSplit(FashionFolder, "test", KnownClasses.FashionMnist, "fashion-mnist");
        Assert.That((test.Count, test.Height, test.Width), Is.EqualTo((10000, 28, 28)));
        var perClass = new int[10];
        for (int i = 0; i < test.Count; i++)
        {
            perClass[test.GetLabel(i)]++;
        }
        // The official test split is balanced: 1,000 images per class.
        Assert.That(perClass, Is.All.EqualTo(1000));
    }
}
