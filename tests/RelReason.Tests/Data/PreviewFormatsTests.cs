using RelReason.Data;
using RelReason.Data.Preview;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Tests.Data;

/// <summary>
/// What `relreason data preview` shows for every format: a known image is written in the format's own layout
/// (channel planes, STL-10's column-major planes, IDX rows, PNG files), read back through the catalog, written as
/// a PNG and decoded; every pixel must be the known one. The pattern differs along x and y and per channel, so a
/// transposed or channel-swapped reader fails.
/// </summary>
public class PreviewFormatsTests
{
    private static byte Value(int y, int x, int c) => (byte)((y * 13 + x * 5 + c * 71) % 256);

    private static void AssertPreview(IImageDataset ds, int index, string png)
    {
        var raw = new byte[ds.ImageBytes];
        ds.ReadImage(index, raw);
        ImagePreview.WritePng(png, raw, ds.Height, ds.Width, ds.Channels);
        using var decoded = Image.Load<Rgb24>(png);
        Assert.That((decoded.Width, decoded.Height), Is.EqualTo((ds.Width, ds.Height)));
        for (int y = 0; y < ds.Height; y++)
        {
            for (int x = 0; x < ds.Width; x++)
            {
                var p = decoded[x, y];
                byte[] got = [p.R, p.G, p.B];
                for (int c = 0; c < 3; c++)
                {
                    byte expected = Value(y, x, ds.Channels == 1 ? 0 : c);
                    if (got[c] != expected)
                    {
                        Assert.Fail($"{ds.Name}: pixel (y {y}, x {x}) channel {c} is {got[c]}, expected {expected}");
                    }
                }
            }
        }
    }

    [Test]
    public void Stl10ColumnMajorPlanes()
    {
        using var dir = new TempFolder();
        const int side = 96;
        var stored = new byte[3 * side * side];
        for (int c = 0; c < 3; c++)
        {
            for (int x = 0; x < side; x++)
            {
                for (int y = 0; y < side; y++)
                {
                    stored[c * side * side + x * side + y] = Value(y, x, c);
                }
            }
        }
        File.WriteAllBytes(dir.File("train_X.bin"), stored);
        File.WriteAllBytes(dir.File("train_y.bin"), [3]);
        var ds = DatasetCatalog.Open("stl10", "train", new DatasetOpenOptions { Path = dir.Path });
        try
        {
            AssertPreview(ds, 0, dir.File("stl.png"));
        }
        finally
        {
            (ds as IDisposable)?.Dispose();
        }
    }

    [TestCase("cifar10", "data_batch_1.bin", 1)]
    [TestCase("cifar100", "train.bin", 2)]
    public void CifarRowMajorPlanes(string name, string file, int labelBytes)
    {
        using var dir = new TempFolder();
        var record = new List<byte>(Enumerable.Repeat((byte)1, labelBytes));
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    record.Add(Value(y, x, c));
                }
            }
        }
        File.WriteAllBytes(dir.File(file), record.ToArray());
        if (name == "cifar10")
        {
            foreach (var missing in new[] { 2, 3, 4, 5 })
            {
                File.WriteAllBytes(dir.File($"data_batch_{missing}.bin"), record.ToArray());
            }
        }
        var ds = DatasetCatalog.Open(name, "train", new DatasetOpenOptions { Path = dir.Path });
        AssertPreview(ds, 0, dir.File("cifar.png"));
    }

    [Test]
    public void IdxRows()
    {
        using var dir = new TempFolder();
        var pixels = new byte[28 * 28];
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                pixels[y * 28 + x] = Value(y, x, 0);
            }
        }
        IdxWriter.WriteImages(dir.File("train-images-idx3-ubyte.gz"), 1, 28, 28, pixels, gzip: true);
        IdxWriter.WriteLabels(dir.File("train-labels-idx1-ubyte.gz"), [7], gzip: true);
        var ds = DatasetCatalog.Open("fashion-mnist", "train", new DatasetOpenOptions { Path = dir.Path });
        AssertPreview(ds, 0, dir.File("idx.png"));
    }

    [Test]
    public void ImageFolderAndTinyImageNet()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(Path.Combine(dir.Path, "folder", "cat", "a.png"), 20, 12,
            (x, y) => (Value(y, x, 0), Value(y, x, 1), Value(y, x, 2)));
        var folder = DatasetCatalog.Open("folder", "train",
            new DatasetOpenOptions { Path = Path.Combine(dir.Path, "folder") });
        AssertPreview(folder, 0, dir.File("folder.png"));

        string tiny = Path.Combine(dir.Path, "tiny");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(tiny).FullName, "wnids.txt"), "n01443537\n");
        TestImages.Rgb(Path.Combine(tiny, "train", "n01443537", "images", "n01443537_0.JPEG"), 64, 64,
            (x, y) => (Value(y, x, 0), Value(y, x, 1), Value(y, x, 2)));
        var tinyDs = DatasetCatalog.Open("tiny-imagenet", "train", new DatasetOpenOptions { Path = tiny });
        AssertPreview(tinyDs, 0, dir.File("tiny.png"));
    }
}
