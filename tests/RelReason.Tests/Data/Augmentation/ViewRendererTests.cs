using RelReason.Data.Augmentation;

namespace RelReason.Tests.Data.Augmentation;

public class ViewRendererTests
{
    // Mean 0 and std 1 leave the un-normalised values visible.
    private static readonly AugmentOptions Plain3 = new() { Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
    private static readonly AugmentOptions Plain1 = new() { Mean = [0f], Std = [1f] };

    private static byte[] Pattern(int height, int width, int channels, int salt = 0)
    {
        var image = new byte[height * width * channels];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = (byte)((((uint)(i + salt * 7919)) * 2654435761u) >> 24);
        }
        return image;
    }

    private static float[] Render(in ViewParams p, AugmentOptions options, int height, int width, int channels,
        byte[] image)
    {
        AugmentConstants c = AugmentConstants.Create(options, height, width, channels);
        var output = new float[c.ViewLength];
        ViewRenderer.Render(in p, in c, image, output);
        return output;
    }

    [TestCase(3)]
    [TestCase(1)]
    public void IdentityParametersReproduceTheNormalisedImageExactly(int channels)
    {
        const int h = 6;
        const int w = 6;
        byte[] image = Pattern(h, w, channels);
        var options = channels == 3 ? AugmentOptions.Cifar10 with { Side = 6 } : AugmentOptions.Mnist with { Side = 6 };
        float[] output = Render(ViewParams.Identity(h, w), options, h, w, channels, image);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    // ToTensor then Normalize, in float32.
                    float expected = (image[(y * w + x) * channels + c] / 255f - options.Mean[c]) / options.Std[c];
                    Assert.That(output[(c * h + y) * w + x], Is.EqualTo(expected), $"c{c} y{y} x{x}");
                }
            }
        }
    }

    [Test]
    public void FlipMirrorsTheViewLeftRight()
    {
        const int h = 9;
        const int w = 11;
        byte[] image = Pattern(h, w, 3);
        var options = Plain3 with { Side = 7 };
        ViewParams p = ViewParams.Identity(h, w);
        // An off-centre, rescaled crop, so the mirror must come from the sampling and not from the image.
        p.CropTop = 1;
        p.CropLeft = 2;
        p.CropHeight = 6;
        p.CropWidth = 8;
        float[] plain = Render(in p, options, h, w, 3, image);
        p.Flip = 1;
        float[] flipped = Render(in p, options, h, w, 3, image);
        const int s = 7;
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < s; y++)
            {
                for (int x = 0; x < s; x++)
                {
                    Assert.That(flipped[(c * s + y) * s + x], Is.EqualTo(plain[(c * s + y) * s + (s - 1 - x)]));
                }
            }
        }
        Assert.That(flipped, Is.Not.EqualTo(plain));
    }

    [Test]
    public void BilinearUpscaleOfTwoByTwoGivesHandComputedValues()
    {
        // Source [[0, 100], [200, 255]] resized to 4 x 4 with half-pixel centres: output index d samples
        // source 0.5 d - 0.25, clamped to [0, 1], so columns weigh (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1).
        byte[] image = [0, 100, 200, 255];
        float[,] expected =
        {
            { 0f, 25f, 75f, 100f },
            { 50f, 72.1875f, 116.5625f, 138.75f },
            { 150f, 166.5625f, 199.6875f, 216.25f },
            { 200f, 213.75f, 241.25f, 255f },
        };
        float[] output = Render(ViewParams.Identity(2, 2), Plain1 with { Side = 4 }, 2, 2, 1, image);
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                Assert.That(output[y * 4 + x], Is.EqualTo(expected[y, x] / 255f).Within(1e-6f), $"y{y} x{x}");
            }
        }
    }

    [Test]
    public void DownscaleWidensTheFilterAndUsesTheCropBoxOnly()
    {
        // 4 x 4 ramp v = 5 (10 y + x); the crop rows 1..3, columns 0..3 resized to 2 x 2. The ramp is linear, so
        // each output is 5 (10 * weighted row + weighted column).
        var image = new byte[16];
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                image[y * 4 + x] = (byte)(5 * (10 * y + x));
            }
        }
        ViewParams p = ViewParams.Identity(4, 4);
        p.CropTop = 1;
        p.CropHeight = 3;
        // Columns: scale 2; output 0 is centred at 1 and takes columns 0, 1, 2 with triangle weights 0.75, 0.75,
        // 0.25 (normalised: 3/7, 3/7, 1/7), mean column 5/7; output 1 takes columns 1, 2, 3 (1/7, 3/7, 3/7): 16/7.
        // Rows: scale 1.5; output 0 is centred at 0.75 and takes crop rows 0, 1 with 5/6 and 1/2 (0.625, 0.375):
        // image row 1.375; output 1 takes crop rows 1, 2 (0.375, 0.625): image row 2.625.
        float[] output = Render(in p, Plain1 with { Side = 2 }, 4, 4, 1, image);
        float[] expected =
        [
            5 * (13.75f + 5f / 7), 5 * (13.75f + 16f / 7), 5 * (26.25f + 5f / 7), 5 * (26.25f + 16f / 7),
        ];
        for (int i = 0; i < 4; i++)
        {
            Assert.That(output[i], Is.EqualTo(expected[i] / 255f).Within(1e-6f), $"pixel {i}");
        }
    }

    [Test]
    public void DownscalingByTwoAveragesAwayAPixelCheckerboard()
    {
        // Plain bilinear sampling at half resolution lands between pixels of a 1-pixel checkerboard and shows a
        // pattern (aliasing); the widened filter returns the mean gray everywhere inside the image.
        const int n = 16;
        var image = new byte[n * n];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = (byte)(((i / n) + (i % n)) % 2 == 0 ? 255 : 0);
        }
        float[] output = Render(ViewParams.Identity(n, n), Plain1 with { Side = n / 2 }, n, n, 1, image);
        for (int y = 1; y < n / 2 - 1; y++)
        {
            for (int x = 1; x < n / 2 - 1; x++)
            {
                Assert.That(output[y * (n / 2) + x], Is.EqualTo(0.5f).Within(1e-6f), $"pixel ({x}, {y})");
            }
        }
    }

    [Test]
    public void ResamplingIsTorchsAntialiasedBilinear()
    {
        // tests/reference/small_fixtures.py: crops resized up, down and one axis each way.
        var fx = RelReason.Tests.Reference.Fixture.LoadNamed("resample");
        var tol = RelReason.Tests.Engine.Tolerances.Resample;
        int cases = int.Parse(fx.Metadata["cases"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(cases, Is.GreaterThanOrEqualTo(5));
        for (int i = 0; i < cases; i++)
        {
            int[] box = fx[$"case{i}/box"].Data.Select(v => (int)v).ToArray();
            var (h, w, channels, side) = (box[0], box[1], box[2], box[7]);
            byte[] image = fx[$"case{i}/image"].Data.Select(v => (byte)v).ToArray();
            ViewParams p = ViewParams.Identity(h, w);
            (p.CropTop, p.CropLeft, p.CropHeight, p.CropWidth) = (box[3], box[4], box[5], box[6]);
            var options = (channels == 3 ? Plain3 : Plain1) with { Side = side };
            float[] output = Render(in p, options, h, w, channels, image);
            float[] expected = fx[$"case{i}/expected"].Data;
            Assert.That(output, Has.Length.EqualTo(expected.Length));
            double worst = output.Zip(expected, (a, r) => Math.Abs(a - r)).Max();
            Assert.That(worst, Is.LessThanOrEqualTo(tol.Abs), $"case {i} ({string.Join(",", box)}): {tol.Why}");
        }
    }

    [TestCase(4, 2)]
    [TestCase(96, 32)]
    [TestCase(97, 13)]
    [TestCase(500, 64)]
    public void DownscaleTapsAreNormalisedAndStayInTheCrop(int length, int side)
    {
        var index = new int[ViewRenderer.MaxTaps(length, side)];
        var weight = new float[index.Length];
        for (int d = 0; d < side; d++)
        {
            int count = ViewRenderer.AxisTaps(7, length, side, d, index, weight);
            Assert.That(count, Is.GreaterThan(2).And.LessThanOrEqualTo(index.Length));
            Assert.That(weight.Take(count).Sum(), Is.EqualTo(1f).Within(1e-5f));
            Assert.That(weight.Take(count), Has.All.GreaterThanOrEqualTo(0f));
            Assert.That(index.Take(count), Has.All.InRange(7, 7 + length - 1));
            Assert.That(index.Take(count), Is.Ordered.Ascending);
        }
    }

    [TestCase(0.5f)]
    [TestCase(1.7f)]
    public void BrightnessScalesAndClamps(float factor)
    {
        byte[] image = Pattern(5, 5, 3);
        ViewParams p = ViewParams.Identity(5, 5);
        p.Jitter = 1;
        p.JitterOps = 1 << (int)JitterOp.Brightness;
        p.Brightness = factor;
        float[] output = Render(in p, Plain3 with { Side = 5 }, 5, 5, 3, image);
        for (int i = 0; i < output.Length; i++)
        {
            int c = i / 25;
            int pixel = i % 25;
            float expected = Math.Min(1f, factor * (image[pixel * 3 + c] / 255f));
            Assert.That(output[i], Is.EqualTo(expected).Within(1e-6f));
        }
    }

    [Test]
    public void GrayscaleMakesTheChannelsEqualToTheLuma()
    {
        byte[] image = Pattern(5, 5, 3);
        ViewParams p = ViewParams.Identity(5, 5);
        p.Gray = 1;
        float[] output = Render(in p, Plain3 with { Side = 5 }, 5, 5, 3, image);
        for (int i = 0; i < 25; i++)
        {
            Assert.That(output[25 + i], Is.EqualTo(output[i]));
            Assert.That(output[50 + i], Is.EqualTo(output[i]));
            double luma = (0.299 * image[i * 3] + 0.587 * image[i * 3 + 1] + 0.114 * image[i * 3 + 2]) / 255.0;
            Assert.That(output[i], Is.EqualTo(luma).Within(1e-6));
        }
    }

    [Test]
    public void ContrastBlendsWithTheMeanGrayOfTheViewAsItIsJustBeforeContrast()
    {
        byte[] image = Pattern(6, 6, 3);
        double meanGray = 0;
        for (int i = 0; i < 36; i++)
        {
            meanGray += (0.299 * image[i * 3] + 0.587 * image[i * 3 + 1] + 0.114 * image[i * 3 + 2]) / 255.0;
        }
        meanGray /= 36;

        // Contrast 0 replaces every pixel by the mean gray.
        ViewParams p = ViewParams.Identity(6, 6);
        p.Jitter = 1;
        p.JitterOps = (1 << (int)JitterOp.Contrast) | (1 << (int)JitterOp.Brightness);
        p.Contrast = 0f;
        p.Brightness = 0.5f;
        // Brightness first: contrast sees the darkened image (no clamping at 0.5), so the mean halves.
        p.Order = ViewParams.PackOrder(0, 1, 2, 3);
        float[] brightFirst = Render(in p, Plain3 with { Side = 6 }, 6, 6, 3, image);
        Assert.That(brightFirst, Has.All.EqualTo(0.5 * meanGray).Within(1e-5));
        // Contrast first: every pixel becomes the mean, then brightness halves it: the same number.
        p.Order = ViewParams.PackOrder(1, 0, 2, 3);
        float[] contrastFirst = Render(in p, Plain3 with { Side = 6 }, 6, 6, 3, image);
        Assert.That(contrastFirst, Has.All.EqualTo(0.5 * meanGray).Within(1e-5));
        // Brightness 1.8 clamps before contrast but not after it, so the order matters there.
        p.Brightness = 1.8f;
        p.Order = ViewParams.PackOrder(0, 1, 2, 3);
        double clampedMean = 0;
        for (int i = 0; i < 36; i++)
        {
            double r = Math.Min(1, 1.8 * image[i * 3] / 255.0);
            double g = Math.Min(1, 1.8 * image[i * 3 + 1] / 255.0);
            double b = Math.Min(1, 1.8 * image[i * 3 + 2] / 255.0);
            clampedMean += 0.299 * r + 0.587 * g + 0.114 * b;
        }
        clampedMean /= 36;
        Assert.That(Render(in p, Plain3 with { Side = 6 }, 6, 6, 3, image),
            Has.All.EqualTo(clampedMean).Within(1e-5));

        // Contrast 1.5 on its own: 1.5 x - 0.5 mean, clamped.
        p.JitterOps = 1 << (int)JitterOp.Contrast;
        p.Contrast = 1.5f;
        float[] strong = Render(in p, Plain3 with { Side = 6 }, 6, 6, 3, image);
        for (int i = 0; i < strong.Length; i++)
        {
            double x = image[(i % 36) * 3 + i / 36] / 255.0;
            Assert.That(strong[i], Is.EqualTo(Math.Clamp(1.5 * x - 0.5 * meanGray, 0, 1)).Within(1e-5));
        }
    }

    [Test]
    public void OneChannelContrastUsesTheImageMeanAndIgnoresColourOps()
    {
        byte[] image = Pattern(4, 4, 1);
        double mean = image.Average(b => b / 255.0);
        ViewParams p = ViewParams.Identity(4, 4);
        p.Jitter = 1;
        // Saturation and hue bits set on purpose: they must have no effect on one channel.
        p.JitterOps = 0b1110;
        p.Contrast = 0.25f;
        p.Saturation = 0f;
        p.Hue = 0.3f;
        p.Gray = 1;
        float[] output = Render(in p, Plain1 with { Side = 4 }, 4, 4, 1, image);
        for (int i = 0; i < 16; i++)
        {
            Assert.That(output[i], Is.EqualTo(0.25 * image[i] / 255.0 + 0.75 * mean).Within(1e-6));
        }
    }

    [Test]
    public void RejectsWrongSizesAndCropsOutsideTheImage()
    {
        AugmentConstants c = AugmentConstants.Create(Plain3 with { Side = 4 }, 4, 4, 3);
        var output = new float[c.ViewLength];
        ViewParams p = ViewParams.Identity(4, 4);
        var short1 = Assert.Throws<ArgumentException>(() => ViewRenderer.Render(in p, in c, new byte[47], output));
        Assert.That(short1!.Message, Does.Contain("48"));
        Assert.Throws<ArgumentException>(() => ViewRenderer.Render(in p, in c, new byte[48], new float[47]));
        p.CropLeft = 1;
        var outside = Assert.Throws<ArgumentException>(() => ViewRenderer.Render(in p, in c, new byte[48], output));
        Assert.That(outside!.Message, Does.Contain("crop box"));
    }
}
