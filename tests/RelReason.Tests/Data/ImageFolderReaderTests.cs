using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class ImageFolderReaderTests
{
    private static (byte, byte, byte) Pattern(int x, int y, int seed) =>
        ((byte)(seed + 10 * x), (byte)(seed + 50 + 7 * y), (byte)(seed + 200 - x - y));

    [Test]
    public void ClassFoldersGiveSortedClassesAndExactPixels()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("dog/b.png"), 3, 2, (x, y) => Pattern(x, y, 1));
        TestImages.Rgb(dir.File("cat/z.png"), 3, 2, (x, y) => Pattern(x, y, 2));
        TestImages.Rgb(dir.File("cat/a.png"), 3, 2, (x, y) => Pattern(x, y, 3));
        // A grayscale file in an RGB dataset: its value is replicated into R, G and B.
        TestImages.Gray(dir.File("dog/sub/c.png"), 3, 2, (x, y) => (byte)(100 + x + 10 * y));
        File.WriteAllText(dir.File("dog/notes.txt"), "not an image, not scanned");

        var ds = ImageFolderReader.Open(dir.Path, new ImageFolderOptions());
        Assert.That(ds.ClassNames, Is.EqualTo(new[] { "cat", "dog" }));
        Assert.That((ds.Count, ds.Height, ds.Width, ds.Channels), Is.EqualTo((4, 2, 3, 3)));
        Assert.That(ds.Files.Select(Path.GetFileName), Is.EqualTo(new[] { "a.png", "z.png", "b.png", "c.png" }));
        Assert.That(Enumerable.Range(0, 4).Select(ds.GetLabel), Is.EqualTo(new[] { 0, 0, 1, 1 }));

        var img = new byte[18];
        ds.ReadImage(0, img);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                var (r, g, b) = Pattern(x, y, 3);
                Assert.That(img.AsSpan((y * 3 + x) * 3, 3).ToArray(), Is.EqualTo(new[] { r, g, b }), $"({x},{y})");
            }
        }
        ds.ReadImage(3, img);
        Assert.That(img.AsSpan((1 * 3 + 2) * 3, 3).ToArray(), Is.EqualTo(new byte[] { 112, 112, 112 }));
        Assert.That(ds.Skipped, Is.Empty);
    }

    [Test]
    public void SingleChannelDatasetTakesLuminance()
    {
        using var dir = new TempFolder();
        // Gray RGB pixels have luminance equal to their value whatever the weights.
        TestImages.Rgb(dir.File("a.png"), 2, 2, (x, y) => ((byte)(40 * x + 90 * y), (byte)(40 * x + 90 * y),
            (byte)(40 * x + 90 * y)));
        var ds = ImageFolderReader.Open(dir.Path, new ImageFolderOptions { Channels = 1 });
        Assert.That(ds.HasLabels, Is.False);
        Assert.That(ds.Channels, Is.EqualTo(1));
        var img = new byte[4];
        ds.ReadImage(0, img);
        Assert.That(img.Select(v => (int)v), Is.EqualTo(new[] { 0, 40, 90, 130 }).AsCollection.Within(1));
    }

    [Test]
    public void UnlabelledRootFilesAreRead()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("2.png"), 4, 4, (x, y) => (1, 2, 3));
        TestImages.Rgb(dir.File("1.jpg"), 4, 4, (x, y) => (200, 200, 200), jpeg: true);
        var ds = ImageFolderReader.Open(dir.Path, new ImageFolderOptions());
        Assert.That(ds.HasLabels, Is.False);
        Assert.That(ds.Count, Is.EqualTo(2));
        Assert.Throws<InvalidOperationException>(() => ds.GetLabel(0));
        var img = new byte[48];
        ds.ReadImage(0, img);
        // A uniform JPEG decodes to (nearly) its colour.
        Assert.That(img.Select(v => (int)v), Is.All.EqualTo(200).Within(2));
        ds.ReadImage(1, img);
        Assert.That(img[..3], Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void MismatchedSizeIsReportedWithoutSizeOption()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("a/1.png"), 4, 4, (x, y) => (0, 0, 0));
        TestImages.Rgb(dir.File("a/2.png"), 5, 4, (x, y) => (0, 0, 0));
        var e = Assert.Throws<DatasetFormatException>(
            () => ImageFolderReader.Open(dir.Path, new ImageFolderOptions()));
        Assert.That(e!.FilePath, Does.EndWith("2.png"));
        Assert.That(e.Message, Does.Contain("5x4").And.Contain("expected 4x4").And.Contain("1.png"));
    }

    [Test]
    public void SizeOptionResizesEveryImage()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("a/1.png"), 8, 6, (x, y) => (10, 20, 30));
        TestImages.Rgb(dir.File("b/2.png"), 3, 5, (x, y) => (70, 80, 90));
        var ds = ImageFolderReader.Open(dir.Path, new ImageFolderOptions { Size = 4 });
        Assert.That((ds.Height, ds.Width), Is.EqualTo((4, 4)));
        var img = new byte[48];
        ds.ReadImage(1, img);
        // Bilinear resampling of a uniform image keeps its colour.
        for (int p = 0; p < 16; p++)
        {
            Assert.That(img.AsSpan(3 * p, 3).ToArray(), Is.EqualTo(new byte[] { 70, 80, 90 }), $"pixel {p}");
        }
    }

    [Test]
    public void UndecodableFilesAreSkippedWarnedAndCounted()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("a/1.png"), 2, 2, (x, y) => (5, 6, 7));
        File.WriteAllBytes(dir.File("a/2.png"), [1, 2, 3, 4, 5, 6, 7, 8]);
        TestImages.Rgb(dir.File("b/3.png"), 2, 2, (x, y) => (8, 9, 10));
        var warnings = new List<string>();
        var ds = ImageFolderReader.Open(dir.Path, new ImageFolderOptions { Warn = warnings.Add });
        Assert.That(ds.Count, Is.EqualTo(2));
        Assert.That(ds.Skipped, Has.Count.EqualTo(1));
        Assert.That(ds.Skipped[0].Path, Does.EndWith("2.png"));
        Assert.That(warnings, Has.Some.Contain("2.png"));
        Assert.That(warnings, Has.Some.Contain("skipped 1 of 3"));
        // The images after the gap moved down with their labels.
        Assert.That(ds.GetLabel(1), Is.EqualTo(1));
        var img = new byte[12];
        ds.ReadImage(1, img);
        Assert.That(img[..3], Is.EqualTo(new byte[] { 8, 9, 10 }));
    }

    [Test]
    public void TruncatedImageIsSkippedNotFatal()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("1.png"), 16, 16, (x, y) => ((byte)x, (byte)y, 0));
        TestImages.Rgb(dir.File("2.png"), 16, 16, (x, y) => ((byte)(x * y), (byte)(x + y), 3));
        byte[] full = File.ReadAllBytes(dir.File("2.png"));
        File.WriteAllBytes(dir.File("2.png"), full[..(full.Length / 2)]);
        var ds = ImageFolderReader.Open(dir.Path, new ImageFolderOptions());
        Assert.That(ds.Count, Is.EqualTo(1));
        Assert.That(ds.Skipped.Single().Path, Does.EndWith("2.png"));
    }

    [Test]
    public void HugeImageIsRefusedByTheDimensionLimit()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("small.png"), 4, 4, (x, y) => (0, 0, 0));
        // 5000 x 1 is a tiny file but over the default 4096-pixel side limit.
        TestImages.Gray(dir.File("wide.png"), 5000, 1, (x, y) => 0);
        var e = Assert.Throws<DatasetFormatException>(
            () => ImageFolderReader.Open(dir.Path, new ImageFolderOptions()));
        Assert.That(e!.FilePath, Does.EndWith("wide.png"));
        Assert.That(e.Message, Does.Contain("5000x1").And.Contain("4096"));

        var lower = Assert.Throws<DatasetFormatException>(
            () => ImageDecoding.Identify(dir.File("small.png"), maxSide: 3));
        Assert.That(lower!.Message, Does.Contain("limit of 3"));
    }

    [Test]
    public void FolderWithNoDecodableImageIsAnError()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("x.jpg"), [0xff, 0xd8, 0x00]);
        var warnings = new List<string>();
        var e = Assert.Throws<DatasetFormatException>(
            () => ImageFolderReader.Open(dir.Path, new ImageFolderOptions { Warn = warnings.Add }));
        Assert.That(e!.Message, Does.Contain("no decodable image among 1"));
        Assert.That(warnings, Has.Some.Contain("x.jpg"));
    }
}
