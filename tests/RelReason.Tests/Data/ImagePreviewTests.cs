using RelReason.Data.Preview;
using RelReason.Data.Readers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Tests.Data;

public class ImagePreviewTests
{
    [Test]
    public void SingleRgbImageRoundTripsThroughPng()
    {
        using var dir = new TempFolder();
        // 2 rows x 3 columns, HWC: pixel (y, x) = (10y + x, 100 + x, 200 - y).
        var hwc = new byte[2 * 3 * 3];
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                hwc[(y * 3 + x) * 3] = (byte)(10 * y + x);
                hwc[(y * 3 + x) * 3 + 1] = (byte)(100 + x);
                hwc[(y * 3 + x) * 3 + 2] = (byte)(200 - y);
            }
        }
        string path = dir.File("one.png");
        ImagePreview.WritePng(path, hwc, 2, 3, 3);

        using var png = Image.Load<Rgb24>(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((3, 2)));
        Assert.That(png[2, 1], Is.EqualTo(new Rgb24(12, 102, 199)));
        Assert.That(png[0, 0], Is.EqualTo(new Rgb24(0, 100, 200)));
        Assert.That(Directory.GetFiles(dir.Path), Is.EqualTo(new[] { path }), "no temporary file may remain");
    }

    [Test]
    public void GrayGridHasTwoPixelBordersAndCellsInRowOrder()
    {
        using var dir = new TempFolder();
        // Three 2x2 gray images with values 10.., 20.., 30.. in a 2-column grid: 2 rows.
        var pixels = new byte[3 * 4];
        for (int i = 0; i < 12; i++)
        {
            pixels[i] = (byte)(10 * (i / 4 + 1) + i % 4);
        }
        var ds = new InMemoryDataset("t", 2, 2, 1, pixels, null, []);
        string path = dir.File("grid.png");
        ImagePreview.WriteGrid(path, ds, [0, 1, 2], columns: 2);

        using var png = Image.Load<L8>(path);
        // Width: 2 cells of 2 + 3 borders of 2 = 10. Height: 2 rows of 2 + 3 borders = 10.
        Assert.That((png.Width, png.Height), Is.EqualTo((10, 10)));
        Assert.That(png[0, 0].PackedValue, Is.EqualTo(255));
        Assert.That(png[2, 2].PackedValue, Is.EqualTo(10));   // image 0, pixel (0,0)
        Assert.That(png[3, 3].PackedValue, Is.EqualTo(13));   // image 0, pixel (1,1)
        Assert.That(png[4, 2].PackedValue, Is.EqualTo(255));  // border between cells
        Assert.That(png[6, 2].PackedValue, Is.EqualTo(20));   // image 1, pixel (0,0)
        Assert.That(png[7, 2].PackedValue, Is.EqualTo(21));   // image 1, pixel (0,1)
        Assert.That(png[2, 6].PackedValue, Is.EqualTo(30));   // image 2, second row
        Assert.That(png[6, 6].PackedValue, Is.EqualTo(255));  // empty cell stays border-coloured
    }

    [Test]
    public void ScaleRepeatsPixels()
    {
        using var dir = new TempFolder();
        string path = dir.File("big.png");
        ImagePreview.WritePng(path, [7, 9], 1, 2, 1, scale: 3);
        using var png = Image.Load<L8>(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((6, 3)));
        Assert.That(png[2, 2].PackedValue, Is.EqualTo(7));
        Assert.That(png[3, 0].PackedValue, Is.EqualTo(9));
    }

    [Test]
    public void WrongBufferSizeIsRefusedAndWritesNothing()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => ImagePreview.WritePng(dir.File("x.png"), new byte[5], 2, 2, 1));
        Assert.That(e!.Message, Does.Contain("5 bytes").And.Contain("needs 4"));
        Assert.That(Directory.GetFiles(dir.Path), Is.Empty);
    }

    [Test]
    public void ExistingFileIsReplacedWhole()
    {
        using var dir = new TempFolder();
        string path = dir.File("p.png");
        File.WriteAllText(path, "previous content");
        ImagePreview.WritePng(path, [1, 2, 3], 1, 1, 3);
        using var png = Image.Load<Rgb24>(path);
        Assert.That(png[0, 0], Is.EqualTo(new Rgb24(1, 2, 3)));
    }
}
