using RelReason.Data;
using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class DatasetCatalogTests
{
    [Test]
    public void DefaultDatasetOpensWithoutConfiguration()
    {
        var train = DatasetCatalog.Open("default", "train");
        Assert.That(train.Count, Is.EqualTo(4000));
        Assert.That(train.ClassNames[0], Is.EqualTo("T-shirt/top"));
    }

    [Test]
    public void InfoReportsSplitsShapesClassesAndBytes()
    {
        var info = DatasetCatalog.Info("default");
        Assert.That(info.Exists, Is.True);
        Assert.That(info.Splits.Select(s => (s.Split, s.Count)),
            Is.EqualTo(new[] { ("train", 4000), ("test", 1000) }));
        Assert.That(info.Splits.Select(s => (s.Height, s.Width, s.Channels, s.Labelled, s.Problem)),
            Is.All.EqualTo((28, 28, 1, true, (string?)null)));
        Assert.That(info.Classes, Has.Count.EqualTo(10));
        long expected = Directory.EnumerateFiles(info.Folder).Sum(f => new FileInfo(f).Length);
        Assert.That(info.BytesOnDisk, Is.EqualTo(expected));
    }

    [TestCase("cifar10", 32, 0.491f, 0.247f)]
    [TestCase("cifar100", 32, 0.507f, 0.267f)]
    [TestCase("cifar100-20", 32, 0.507f, 0.267f)]
    [TestCase("stl10", 96, 0.5f, 0.5f)]
    [TestCase("tiny-imagenet", 64, 0.5f, 0.25f)]
    [TestCase("fashion-mnist", 28, 0.2860f, 0.3530f)]
    public void SpecsCarryTheMethodsCropSideAndNormalisation(string name, int side, float mean0, float std0)
    {
        var spec = DatasetCatalog.Describe(name);
        Assert.That(spec.CropSide, Is.EqualTo(side));
        Assert.That(spec.Mean[0], Is.EqualTo(mean0).Within(1e-6));
        Assert.That(spec.Std[0], Is.EqualTo(std0).Within(1e-6));
        Assert.That(spec.Mean, Has.Count.EqualTo(spec.Channels));
        Assert.That(spec.Std, Has.Count.EqualTo(spec.Channels));
    }

    [TestCase("tiny-imagenet", "val")]
    [TestCase("stl10", "test")]
    [TestCase("cifar100-20", "test")]
    [TestCase("default", "test")]
    public void EvaluationUsesALabelledSplit(string name, string split)
    {
        Assert.That(DatasetCatalog.EvaluationSplit(name), Is.EqualTo(split));
        Assert.That(DatasetCatalog.Describe(name).Splits, Does.Contain(split));
        Assert.Throws<ArgumentException>(() => DatasetCatalog.EvaluationSplit("imagenet"));
    }

    [Test]
    public void GrayNormalisationIsRepeatedForThreeChannels()
    {
        var (mean, std) = DatasetCatalog.Normalization("fashion-mnist", 3);
        Assert.That(mean, Is.EqualTo(new[] { 0.2860f, 0.2860f, 0.2860f }));
        Assert.That(std, Is.EqualTo(new[] { 0.3530f, 0.3530f, 0.3530f }));
    }

    [Test]
    public void UnknownNameAndSplitListTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetCatalog.Open("imagenet", "train"));
        Assert.That(e!.Message, Does.Contain("cifar100-20").And.Contain("tiny-imagenet"));
        var s = Assert.Throws<ArgumentException>(() => DatasetCatalog.Open("cifar10", "unlabeled"));
        Assert.That(s!.Message, Does.Contain("train, test"));
    }

    [Test]
    public void MissingDatasetSaysHowToFetchIt()
    {
        using var root = new TempFolder();
        var e = Assert.Throws<DirectoryNotFoundException>(
            () => DatasetCatalog.Open("stl10", "train", new DatasetOpenOptions { Root = root.Path }));
        Assert.That(e!.Message, Does.Contain("data fetch stl10").And.Contain("stl10_binary"));
        var info = DatasetCatalog.Info("stl10", new DatasetOpenOptions { Root = root.Path });
        Assert.That(info.Exists, Is.False);
        Assert.That(info.Splits.Select(x => x.Present), Is.All.False);
    }

    [Test]
    public void CifarUnderARootOpensAndIsCounted()
    {
        using var root = new TempFolder();
        string folder = Path.Combine(root.Path, "cifar-100-binary");
        Directory.CreateDirectory(folder);
        var rec = new byte[3074];
        rec[0] = 19;
        rec[1] = 98;
        File.WriteAllBytes(Path.Combine(folder, "test.bin"), [.. rec, .. rec, .. rec]);
        var options = new DatasetOpenOptions { Root = root.Path };

        var ds = DatasetCatalog.Open("cifar100-20", "test", options);
        Assert.That(ds.Count, Is.EqualTo(3));
        Assert.That(ds.ClassNames[ds.GetLabel(0)], Is.EqualTo("vehicles_2"));

        var info = DatasetCatalog.Info("cifar100", options);
        Assert.That(info.Splits[1], Is.EqualTo(new SplitInfo("test", true, 3, 32, 32, 3, true, null)));
        Assert.That(info.Splits[0].Present, Is.False);
        Assert.That(info.BytesOnDisk, Is.EqualTo(3 * 3074));
    }

    [Test]
    public void StlInfoCountsFromFileSizes()
    {
        using var root = new TempFolder();
        string folder = Path.Combine(root.Path, "stl10_binary");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "train_X.bin"), new byte[2 * 27648]);
        File.WriteAllBytes(Path.Combine(folder, "train_y.bin"), [1, 2]);
        File.WriteAllBytes(Path.Combine(folder, "test_X.bin"), new byte[27648 + 1]);
        var info = DatasetCatalog.Info("stl10", new DatasetOpenOptions { Root = root.Path });
        Assert.That(info.Splits[0], Is.EqualTo(new SplitInfo("train", true, 2, 96, 96, 3, true, null)));
        Assert.That(info.Splits[1].Problem, Does.Contain("not a whole number"));
        Assert.That(info.Splits[2].Present, Is.False);
        using var opened = (Stl10Dataset)DatasetCatalog.Open("stl10", "train",
            new DatasetOpenOptions { Root = root.Path });
        Assert.That(opened.GetLabel(1), Is.EqualTo(1));
    }

    [Test]
    public void FolderDatasetUsesTrainSubfolderOrThePathItself()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("b/1.png"), 5, 5, (x, y) => (1, 1, 1));
        TestImages.Rgb(dir.File("a/1.png"), 5, 5, (x, y) => (2, 2, 2));
        var options = new DatasetOpenOptions { Path = dir.Path };
        var ds = DatasetCatalog.Open("folder", "train", options);
        Assert.That(ds.ClassNames, Is.EqualTo(new[] { "a", "b" }));
        var info = DatasetCatalog.Info("folder", options);
        Assert.That(info.Splits[0], Is.EqualTo(new SplitInfo("train", true, 2, 5, 5, 3, true, null)));
        Assert.That(info.Splits[1].Present, Is.False);
        Assert.That(info.Classes, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void FolderWarningsReachTheCallback()
    {
        using var dir = new TempFolder();
        TestImages.Rgb(dir.File("a/1.png"), 5, 5, (x, y) => (1, 1, 1));
        File.WriteAllText(dir.File("a/2.png"), "broken");
        var warnings = new List<string>();
        var options = new DatasetOpenOptions { Path = dir.Path, Warn = warnings.Add };
        var ds = DatasetCatalog.Open("folder", "train", options);
        Assert.That(ds.Count, Is.EqualTo(1));
        Assert.That(warnings, Has.Some.Contain("2.png"));
    }

    [Test]
    public void EnvironmentVariableLocatesTheDefaultDataset()
    {
        using var root = new TempFolder();
        string copy = Path.Combine(root.Path, DataLocations.DefaultDatasetFolder);
        Directory.CreateDirectory(copy);
        // A stand-in with a single test image, so the test can tell it from the shipped copy.
        IdxWriter.WriteImages(Path.Combine(copy, "train-images-idx3-ubyte.gz"), 1, 28, 28, new byte[784], true);
        IdxWriter.WriteLabels(Path.Combine(copy, "train-labels-idx1-ubyte.gz"), [3], true);
        string? before = Environment.GetEnvironmentVariable(DataLocations.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataLocations.EnvironmentVariable, root.Path);
            Assert.That(DataLocations.FindDefaultDataset(), Is.EqualTo(copy));
            Assert.That(DatasetCatalog.Open("default", "train").Count, Is.EqualTo(1));
            Assert.That(DataLocations.DataRoot(), Is.EqualTo(Path.GetFullPath(root.Path)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataLocations.EnvironmentVariable, before);
        }
    }
}
