using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class TinyImageNetReaderTests
{
    // A miniature tiny-imagenet-200 with two classes listed out of order in wnids.txt.
    private static void MakeTree(TempFolder dir)
    {
        File.WriteAllText(dir.File("wnids.txt"), "n02\nn01\n");
        File.WriteAllText(dir.File("words.txt"), "n00\tunused\nn01\tgoldfish, Carassius auratus\nn02\tbullfrog\n");
        // PNG content under .JPEG names keeps pixels exact; ImageSharp detects the format from the bytes.
        for (int i = 0; i < 2; i++)
        {
            TestImages.Rgb(dir.File($"train/n01/images/n01_{i}.JPEG"), 4, 4, (x, y) => ((byte)(10 + i), 0, 0));
            TestImages.Rgb(dir.File($"train/n02/images/n02_{i}.JPEG"), 4, 4, (x, y) => ((byte)(20 + i), 0, 0));
        }
        File.WriteAllText(dir.File("train/n01/n01_boxes.txt"), "n01_0.JPEG\t0\t0\t3\t3\n");
        TestImages.Rgb(dir.File("val/images/val_0.JPEG"), 4, 4, (x, y) => (30, 0, 0));
        // A real grayscale JPEG: decoded to RGB with the gray value in every channel.
        TestImages.Gray(dir.File("val/images/val_1.JPEG"), 4, 4, (x, y) => 128, jpeg: true);
        File.WriteAllText(dir.File("val/val_annotations.txt"),
            "val_0.JPEG\tn02\t0\t0\t3\t3\nval_1.JPEG\tn01\t0\t0\t3\t3\n");
        TestImages.Rgb(dir.File("test/images/test_0.JPEG"), 4, 4, (x, y) => (40, 0, 0));
    }

    [Test]
    public void TrainSplitUsesSortedWnidsAndWordNames()
    {
        using var dir = new TempFolder();
        MakeTree(dir);
        var ds = TinyImageNetReader.Open(dir.Path, "train");
        Assert.That(ds.ClassNames, Is.EqualTo(new[] { "goldfish", "bullfrog" }));
        Assert.That(ds.Count, Is.EqualTo(4));
        Assert.That(Enumerable.Range(0, 4).Select(ds.GetLabel), Is.EqualTo(new[] { 0, 0, 1, 1 }));
        var img = new byte[48];
        ds.ReadImage(3, img);
        Assert.That(img[..3], Is.EqualTo(new byte[] { 21, 0, 0 }));
    }

    [Test]
    public void ValSplitTakesLabelsFromAnnotations()
    {
        using var dir = new TempFolder();
        MakeTree(dir);
        var ds = TinyImageNetReader.Open(dir.Path, "val");
        Assert.That(ds.Count, Is.EqualTo(2));
        Assert.That(ds.GetLabel(0), Is.EqualTo(1));
        Assert.That(ds.GetLabel(1), Is.EqualTo(0));
        var img = new byte[48];
        ds.ReadImage(1, img);
        Assert.That(img.Select(v => (int)v), Is.All.EqualTo(128).Within(1));
    }

    [Test]
    public void TestSplitIsUnlabelled()
    {
        using var dir = new TempFolder();
        MakeTree(dir);
        var ds = TinyImageNetReader.Open(dir.Path, "test");
        Assert.That(ds.HasLabels, Is.False);
        Assert.That(ds.Count, Is.EqualTo(1));
    }

    [Test]
    public void UnknownWnidInAnnotationsNamesTheLine()
    {
        using var dir = new TempFolder();
        MakeTree(dir);
        File.AppendAllText(dir.File("val/val_annotations.txt"), "val_2.JPEG\tn99\t0\t0\t1\t1\n");
        var e = Assert.Throws<DatasetFormatException>(() => TinyImageNetReader.Open(dir.Path, "val"));
        Assert.That(e!.Message, Does.Contain("line 3").And.Contain("n99"));
    }

    [Test]
    public void AnnotationPathEscapeIsRefused()
    {
        using var dir = new TempFolder();
        MakeTree(dir);
        File.WriteAllText(dir.File("val/val_annotations.txt"), "../../x.JPEG\tn01\t0\t0\t1\t1\n");
        var e = Assert.Throws<DatasetFormatException>(() => TinyImageNetReader.Open(dir.Path, "val"));
        Assert.That(e!.Message, Does.Contain("line 1"));
    }
}
