using System.Runtime.InteropServices;
using RelReason.Data.Augmentation;
using RelReason.Tests.Data.Loading;

namespace RelReason.Tests.Data.Augmentation;

public class AugmenterTests
{
    private const int Images = 12;
    private const int Views = 5;

    private static float[] RenderAll(Augmenter augmenter, InMemoryDataset data, int seed, int epoch,
        IEnumerable<(int Image, int View)> order, int threads)
    {
        int length = augmenter.ViewLength;
        var output = new float[Images * Views * length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.ForEach(order, options, job =>
        {
            byte[] image = data.ImageOf(job.Image);
            augmenter.RenderView(seed, epoch, job.Image, job.View, image,
                output.AsSpan((job.Image * Views + job.View) * length, length));
        });
        return output;
    }

    private static bool BitIdentical(float[] a, float[] b) =>
        MemoryMarshal.Cast<float, int>(a).SequenceEqual(MemoryMarshal.Cast<float, int>(b));

    [Test]
    public void SameSeedGivesBitIdenticalViewsOnAnyThreadCountAndOrder()
    {
        var data = new InMemoryDataset(Images, 20, 18, 3);
        var augmenter = new Augmenter(AugmentOptions.Cifar10 with { Side = 16 }, 20, 18, 3);
        var jobs = (from i in Enumerable.Range(0, Images) from v in Enumerable.Range(0, Views) select (i, v)).ToList();
        float[] serial = RenderAll(augmenter, data, 7, 2, jobs, threads: 1);

        var shuffled = jobs.ToArray();
        new Random(3).Shuffle(shuffled);
        float[] parallel = RenderAll(augmenter, data, 7, 2, shuffled, threads: 4);
        float[] reversed = RenderAll(augmenter, data, 7, 2, Enumerable.Reverse(jobs), threads: 1);

        Assert.That(BitIdentical(serial, parallel), Is.True, "4 threads, shuffled order");
        Assert.That(BitIdentical(serial, reversed), Is.True, "reverse order");
        Assert.That(serial, Has.All.Matches<float>(float.IsFinite));

        float[] otherSeed = RenderAll(augmenter, data, 8, 2, jobs, threads: 1);
        float[] otherEpoch = RenderAll(augmenter, data, 7, 3, jobs, threads: 1);
        Assert.That(BitIdentical(serial, otherSeed), Is.False);
        Assert.That(BitIdentical(serial, otherEpoch), Is.False);
    }

    [Test]
    public void ViewsOfOneImageDiffer()
    {
        var data = new InMemoryDataset(1, 32, 32, 3);
        var augmenter = new Augmenter(AugmentOptions.Cifar10, 32, 32, 3);
        var seen = new List<float[]>();
        for (int v = 0; v < 8; v++)
        {
            var view = new float[augmenter.ViewLength];
            augmenter.RenderView(1, 0, 0, v, data.ImageOf(0), view);
            Assert.That(seen.Any(s => BitIdentical(s, view)), Is.False, $"view {v} repeats an earlier one");
            seen.Add(view);
        }
    }

    [Test]
    public void RenderViewEqualsDrawThenRender()
    {
        var data = new InMemoryDataset(3, 24, 24, 3);
        var augmenter = new Augmenter(AugmentOptions.Cifar100 with { Side = 24 }, 24, 24, 3);
        var direct = new float[augmenter.ViewLength];
        var twoPhase = new float[augmenter.ViewLength];
        augmenter.RenderView(4, 1, 2, 6, data.ImageOf(2), direct);
        ViewParams p = augmenter.DrawParams(4, 1, 2, 6);
        augmenter.Render(in p, data.ImageOf(2), twoPhase);
        Assert.That(BitIdentical(direct, twoPhase), Is.True);
    }

    [Test]
    public void OneChannelImagesReportSkippedColourStagesOnce()
    {
        var messages = new List<string>();
        var augmenter = new Augmenter(AugmentOptions.Mnist, 28, 28, 1, messages.Add);
        var data = new InMemoryDataset(2, 28, 28, 1);
        var view = new float[augmenter.ViewLength];
        for (int v = 0; v < 20; v++)
        {
            augmenter.RenderView(1, 0, v % 2, v, data.ImageOf(v % 2), view);
        }
        Assert.That(messages, Has.Count.EqualTo(1));
        Assert.That(messages[0], Does.Contain("saturation").And.Contain("hue").And.Contain("grayscale"));
        Assert.That(augmenter.ViewLength, Is.EqualTo(28 * 28));

        var quiet = new List<string>();
        _ = new Augmenter(AugmentOptions.Mnist with { Saturation = 0f, Hue = 0f, GrayscaleProbability = 0f },
            28, 28, 1, quiet.Add);
        _ = new Augmenter(AugmentOptions.Cifar10, 32, 32, 3, quiet.Add);
        Assert.That(quiet, Is.Empty);
    }

    [Test]
    public void OptionsThatDoNotFitTheImagesAreRejected()
    {
        var meanMismatch = Assert.Throws<ArgumentException>(() => new Augmenter(AugmentOptions.Cifar10, 28, 28, 1));
        Assert.That(meanMismatch!.Message, Does.Contain("Mean"));
        Assert.Throws<ArgumentException>(() => new Augmenter(AugmentOptions.Cifar10 with { ScaleMin = 0f }, 32, 32, 3));
        Assert.Throws<ArgumentException>(() => new Augmenter(AugmentOptions.Cifar10 with { Hue = 0.6f }, 32, 32, 3));
        Assert.Throws<ArgumentException>(
            () => new Augmenter(AugmentOptions.Cifar10 with { FlipProbability = 1.5f }, 32, 32, 3));
        Assert.Throws<ArgumentException>(() => new Augmenter(AugmentOptions.Cifar10, 32, 32, 2));
        Assert.That(AugmentOptions.ForDataset("STL10"), Is.SameAs(AugmentOptions.Stl10));
        Assert.Throws<ArgumentException>(() => AugmentOptions.ForDataset("imagenet"));
    }

    [Test]
    public void EvalTransformNormalisesAndOptionallyResizes()
    {
        var data = new InMemoryDataset(1, 10, 14, 3);
        byte[] image = data.ImageOf(0);
        var plain = new EvalTransform(AugmentOptions.Cifar10, 10, 14, 3, resizeToSide: false);
        Assert.That((plain.OutputHeight, plain.OutputWidth, plain.OutputLength), Is.EqualTo((10, 14, 3 * 140)));
        var output = new float[plain.OutputLength];
        plain.Render(image, output);
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < 140; i++)
            {
                float expected = (image[i * 3 + c] / 255f - AugmentOptions.Cifar10.Mean[c]) /
                    AugmentOptions.Cifar10.Std[c];
                Assert.That(output[c * 140 + i], Is.EqualTo(expected));
            }
        }

        // Resizing to the square's own side (10) only cuts the centred 10 x 10 square: columns 2..11.
        var cut = new EvalTransform(AugmentOptions.Cifar10 with { Side = 10 }, 10, 14, 3, resizeToSide: true);
        var square = new float[cut.OutputLength];
        cut.Render(image, square);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 10; y++)
            {
                for (int x = 0; x < 10; x++)
                {
                    Assert.That(square[(c * 10 + y) * 10 + x], Is.EqualTo(output[c * 140 + y * 14 + x + 2]));
                }
            }
        }

        var shrink = new EvalTransform(AugmentOptions.Cifar10 with { Side = 5 }, 10, 14, 3, resizeToSide: true);
        var small = new float[shrink.OutputLength];
        shrink.Render(image, small);
        Assert.That(shrink.OutputLength, Is.EqualTo(75));
        Assert.That(small, Has.All.Matches<float>(float.IsFinite));
        Assert.Throws<ArgumentException>(() => plain.Render(image.AsSpan(1), output));
    }
}
