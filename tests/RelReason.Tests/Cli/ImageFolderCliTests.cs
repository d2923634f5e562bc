using RelReason.Tests.Data;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Cli;

/// <summary>
/// A folder of image files of different sizes, as users have them: refused with the option that fixes it, then
/// pretrained with --image-size, and evaluated with the size the checkpoint recorded.
/// </summary>
public class ImageFolderCliTests : CliTestBase
{
    private string WriteFolder()
    {
        string root = File("images");
        var rng = new Random(3);
        foreach (string split in new[] { "train", "test" })
        {
            foreach (string label in new[] { "bright", "dark" })
            {
                for (int i = 0; i < 10; i++)
                {
                    int w = rng.Next(20, 40), h = rng.Next(20, 40);
                    byte level = (byte)(label == "bright" ? 200 : 40);
                    TestImages.Rgb(Path.Combine(root, split, label, $"{i}.png"), w, h,
                        (x, y) => ((byte)(level + (x + y) % 16), level, (byte)(level + y % 8)));
                }
            }
        }
        return root;
    }

    [Test]
    public void MixedSizesNeedImageSizeWhichEvaluationReusesFromTheCheckpoint()
    {
        string root = WriteFolder();
        var refused = CliRunner.Expect(1, Pretrain(Dir, "refused", "--data", "folder", "--data-path", root,
            "--max-steps", "1"));
        Assert.That(refused.Error, Does.Contain("(width x height); expected").And.Contain("--image-size N"));

        CliRunner.Expect(0, Pretrain(Dir, "sized", "--data", "folder", "--data-path", root, "--image-size", "24",
            "--max-steps", "2"));
        string log = System.IO.File.ReadAllText(Path.Combine(File("sized"), "log.txt"));
        Assert.That(log, Does.Contain("folder/train: 20 images, 24x24x3, views 24x24"));

        var knn = CliRunner.Expect(0, ["knn", "--checkpoint", File("sized"), "--k", "3", "--show", "0", .. Cpu]);
        Assert.That(knn.Out, Does.Contain("k-NN (k=3, cosine, 20 queries, 20 gallery)"));
        Assert.That(EvaluationLog.Read(File("sized")).Single().TestSplit, Is.EqualTo("folder/test"));

        var resume = CliRunner.Expect(1, "pretrain", "--resume", File("sized"), "--image-size", "32");
        Assert.That(resume.Error, Does.Contain("image-size 24 -> 32"));
    }

    [Test]
    public void ImageSizeIsRefusedForDatasetsOfFixedSize()
    {
        var run = CliRunner.Expect(2, Pretrain(Dir, "x", "--image-size", "32", "--max-steps", "1"));
        Assert.That(run.Error, Does.Contain("--image-size applies to image files (folder, tiny-imagenet), not to " +
            "default"));
    }
}
