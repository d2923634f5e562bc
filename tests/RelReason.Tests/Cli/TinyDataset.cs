using RelReason.Data;
using RelReason.Tests.Data;

namespace RelReason.Tests.Cli;

/// <summary>
/// A small copy of the shipped Fashion-MNIST subset in IDX form, opened as "--data default --data-path DIR":
/// the first 40 training images (5 steps per epoch at M=8) and the first 18 test images that are not of class
/// <see cref="AbsentTestClass"/>, so that the evaluations see a class without test images.
/// </summary>
internal sealed class TinyDataset
{
    public const int TrainCount = 40;
    public const int TestCount = 18;

    /// <summary>"Ankle boot": in the training split, never in the test split.</summary>
    public const int AbsentTestClass = 9;

    private TinyDataset(string path, int[] trainLabels, int[] testLabels)
    {
        Path = path;
        TrainLabels = trainLabels;
        TestLabels = testLabels;
    }

    public string Path { get; }

    public int[] TrainLabels { get; }

    public int[] TestLabels { get; }

    /// <summary>The options that select this dataset.</summary>
    public string[] Options => ["--data", "default", "--data-path", Path];

    public static TinyDataset Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var train = DatasetCatalog.Open("default", "train");
        var test = DatasetCatalog.Open("default", "test");
        var trainIds = Enumerable.Range(0, TrainCount).ToArray();
        var testIds = Enumerable.Range(0, test.Count).Where(i => test.GetLabel(i) != AbsentTestClass)
            .Take(TestCount).ToArray();
        var trainLabels = Copy(train, trainIds, System.IO.Path.Combine(folder, "train"));
        var testLabels = Copy(test, testIds, System.IO.Path.Combine(folder, "t10k"));
        Assert.That(trainLabels, Does.Contain(AbsentTestClass), "the training images must include the class");
        return new TinyDataset(folder, trainLabels, testLabels);
    }

    private static int[] Copy(IImageDataset from, int[] ids, string prefix)
    {
        var pixels = new byte[ids.Length * from.ImageBytes];
        var labels = new byte[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            from.ReadImage(ids[i], pixels.AsSpan(i * from.ImageBytes, from.ImageBytes));
            labels[i] = (byte)from.GetLabel(ids[i]);
        }
        IdxWriter.WriteImages(prefix + "-images-idx3-ubyte", ids.Length, from.Height, from.Width, pixels, gzip: false);
        IdxWriter.WriteLabels(prefix + "-labels-idx1-ubyte", labels, gzip: false);
        return labels.Select(l => (int)l).ToArray();
    }
}
