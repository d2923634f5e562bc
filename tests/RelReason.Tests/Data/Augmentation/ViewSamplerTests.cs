using RelReason.Data.Augmentation;

namespace RelReason.Tests.Data.Augmentation;

/// <summary>
/// Distribution checks of phase (a) over many draws. Rates are checked to within 5 standard errors, so a correct
/// sampler fails with probability below 1e-6 per check (the draws are fixed by the seed, so it either passes
/// always or never).
/// </summary>
public class ViewSamplerTests
{
    private const int Draws = 20000;
    private const int ImageSide = 512;

    private static ViewParams[] DrawMany(AugmentOptions options, int height = ImageSide, int width = ImageSide,
        int channels = 3)
    {
        AugmentConstants c = AugmentConstants.Create(options, height, width, channels);
        var all = new ViewParams[Draws];
        for (int i = 0; i < Draws; i++)
        {
            // 2000 images x 10 views, so both counter words vary.
            all[i] = ViewSampler.Draw(in c, seed: 11, epoch: 3, image: (uint)(i / 10), view: (uint)(i % 10));
        }
        return all;
    }

    private static void AssertRate(IEnumerable<bool> events, double p, string what)
    {
        double rate = events.Average(e => e ? 1.0 : 0.0);
        double sigma = Math.Sqrt(p * (1 - p) / Draws);
        Assert.That(rate, Is.EqualTo(p).Within(5 * sigma), what);
    }

    [Test]
    public void CropAreaFractionIsInRangeWithTheMeanOfAcceptedTries()
    {
        ViewParams[] views = DrawMany(AugmentOptions.Stl10);
        double[] fractions = views.Select(v => (double)v.CropHeight * v.CropWidth / (ImageSide * ImageSide)).ToArray();
        // Rounding w and h to integers moves the area by at most about (w + h) / 2 pixels: < 0.001 here.
        Assert.That(fractions, Has.All.InRange(0.079, 1.0));

        // On a square image a try (s, l) with s ~ U(0.08, 1) and l = ln(aspect) ~ U(-L, L), L = ln(4/3), fits
        // when s <= exp(-|l|). So E[s | accepted] = E_l[(m^2 - a^2) / 2] / E_l[m - a] with m = exp(-|l|), a = 0.08,
        // and the chance that a try fits is E_l[m - a] / (1 - a). Integrated here with the midpoint rule.
        const double a = 0.08;
        double bigL = Math.Log(4.0 / 3.0);
        double num = 0;
        double den = 0;
        const int steps = 100000;
        for (int i = 0; i < steps; i++)
        {
            double l = -bigL + (i + 0.5) * 2 * bigL / steps;
            double m = Math.Exp(-Math.Abs(l));
            num += (m * m - a * a) / 2;
            den += m - a;
        }
        double expectedMean = num / den;
        double acceptFirstTry = den / steps / (1 - a);

        double[] accepted = views.Where(v => v.CropTry >= 0).Select(
            v => (double)v.CropHeight * v.CropWidth / (ImageSide * ImageSide)).ToArray();
        Assert.That(accepted.Length, Is.GreaterThan(Draws - 5), "the centre-crop fallback should be very rare");
        double sd = Math.Sqrt(accepted.Select(f => (f - expectedMean) * (f - expectedMean)).Average());
        Assert.That(accepted.Average(), Is.EqualTo(expectedMean).Within(5 * sd / Math.Sqrt(accepted.Length) + 0.001));
        AssertRate(views.Select(v => v.CropTry == 0), acceptFirstTry, "first try accepted");
        Assert.That(fractions.Min(), Is.LessThan(0.085), "small crops occur");
        Assert.That(fractions.Max(), Is.GreaterThan(0.95), "near-full crops occur");
    }

    [Test]
    public void CropAspectIsLogUniformWithinBoundsAndPlacedUniformly()
    {
        ViewParams[] views = DrawMany(AugmentOptions.Stl10);
        double lo = Math.Log(3.0 / 4.0);
        double hi = Math.Log(4.0 / 3.0);
        var logAspects = new List<double>();
        var relativeTops = new List<double>();
        foreach (ViewParams v in views)
        {
            double logAspect = Math.Log((double)v.CropWidth / v.CropHeight);
            // Integer rounding of w and h moves ln(w / h) by at most 0.5 / w + 0.5 / h.
            double slack = 0.5 / v.CropWidth + 0.5 / v.CropHeight;
            Assert.That(logAspect, Is.InRange(lo - slack, hi + slack));
            Assert.That(v.CropTop, Is.InRange(0, ImageSide - v.CropHeight));
            Assert.That(v.CropLeft, Is.InRange(0, ImageSide - v.CropWidth));
            logAspects.Add(logAspect);
            if (v.CropHeight < ImageSide - 10)
            {
                relativeTops.Add((double)v.CropTop / (ImageSide - v.CropHeight));
            }
        }
        // Accepted log-aspects are symmetric about 0 on a square image.
        Assert.That(logAspects.Average(), Is.EqualTo(0).Within(0.005));
        Assert.That(logAspects.Min(), Is.LessThan(lo + 0.01));
        Assert.That(logAspects.Max(), Is.GreaterThan(hi - 0.01));
        Assert.That(relativeTops.Average(), Is.EqualTo(0.5).Within(0.01));
    }

    [Test]
    public void FlipJitterAndGrayscaleFireAtTheirRates()
    {
        ViewParams[] views = DrawMany(AugmentOptions.Cifar10);
        AssertRate(views.Select(v => v.Flip == 1), 0.5, "flip");
        AssertRate(views.Select(v => v.Jitter == 1), 0.8, "jitter");
        AssertRate(views.Select(v => v.Gray == 1), 0.2, "grayscale");
        Assert.That(views.All(v => v.JitterOps == (v.Jitter == 1 ? 0b1111 : 0)), Is.True);

        ViewParams[] custom = DrawMany(AugmentOptions.Cifar10 with
        {
            FlipProbability = 0.1f,
            JitterProbability = 0.3f,
            GrayscaleProbability = 0.6f,
        });
        AssertRate(custom.Select(v => v.Flip == 1), 0.1, "flip 0.1");
        AssertRate(custom.Select(v => v.Jitter == 1), 0.3, "jitter 0.3");
        AssertRate(custom.Select(v => v.Gray == 1), 0.6, "grayscale 0.6");

        ViewParams[] never = DrawMany(AugmentOptions.Cifar10 with
        {
            FlipProbability = 0f,
            JitterProbability = 1f,
            GrayscaleProbability = 0f,
        });
        Assert.That(never.Count(v => v.Flip == 1 || v.Gray == 1 || v.Jitter == 0), Is.Zero);
    }

    [Test]
    public void JitterFactorsCoverTheirRangesWithTheRightMeans()
    {
        ViewParams[] views = DrawMany(AugmentOptions.Cifar10);
        // U(0.2, 1.8) has mean 1 and sd 0.8 / sqrt(3); U(-0.2, 0.2) mean 0 and sd 0.2 / sqrt(3).
        double factorTol = 5 * 0.8 / Math.Sqrt(3) / Math.Sqrt(Draws);
        double hueTol = 5 * 0.2 / Math.Sqrt(3) / Math.Sqrt(Draws);
        foreach (Func<ViewParams, float> factor in new Func<ViewParams, float>[]
            { v => v.Brightness, v => v.Contrast, v => v.Saturation })
        {
            float[] f = views.Select(factor).ToArray();
            Assert.That(f, Has.All.InRange(0.2f, 1.8f));
            Assert.That(f.Min(), Is.LessThan(0.21f));
            Assert.That(f.Max(), Is.GreaterThan(1.79f));
            Assert.That(f.Average(x => (double)x), Is.EqualTo(1.0).Within(factorTol));
        }
        float[] hue = views.Select(v => v.Hue).ToArray();
        Assert.That(hue, Has.All.InRange(-0.2f, 0.2f));
        Assert.That(hue.Min(), Is.LessThan(-0.195f));
        Assert.That(hue.Max(), Is.GreaterThan(0.195f));
        Assert.That(hue.Average(x => (double)x), Is.EqualTo(0.0).Within(hueTol));

        // Strengths set the ranges: brightness 0.3 gives [0.7, 1.3]; strength 1.5 clips the bottom at 0.
        ViewParams[] narrow = DrawMany(AugmentOptions.Cifar10 with { Brightness = 0.3f, Contrast = 1.5f, Hue = 0.5f });
        Assert.That(narrow.Select(v => v.Brightness), Has.All.InRange(0.7f, 1.3f));
        Assert.That(narrow.Select(v => v.Contrast), Has.All.InRange(0f, 2.5f));
        Assert.That(narrow.Min(v => v.Contrast), Is.LessThan(0.01f));
        Assert.That(narrow.Select(v => v.Hue), Has.All.InRange(-0.5f, 0.5f));
        Assert.That(narrow.Max(v => v.Hue), Is.GreaterThan(0.49f));
    }

    [Test]
    public void AllTwentyFourOrdersAppearAboutEquallyOften()
    {
        var decoded = new HashSet<int>();
        for (int i = 0; i < 24; i++)
        {
            int order = ViewSampler.OrderFromIndex(i);
            int[] ops = Enumerable.Range(0, 4).Select(p => (order >> (2 * p)) & 3).ToArray();
            Assert.That(ops.OrderBy(o => o), Is.EqualTo(new[] { 0, 1, 2, 3 }), $"index {i} is not a permutation");
            decoded.Add(order);
        }
        Assert.That(decoded, Has.Count.EqualTo(24));

        ViewParams[] views = DrawMany(AugmentOptions.Cifar10);
        var counts = views.GroupBy(v => v.Order).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(counts.Keys, Is.EquivalentTo(decoded));
        double expected = Draws / 24.0;
        double sigma = Math.Sqrt(expected * (23.0 / 24.0));
        Assert.That(counts.Values, Has.All.InRange(expected - 5 * sigma, expected + 5 * sigma));
        // Each op is first about a quarter of the time.
        for (int op = 0; op < 4; op++)
        {
            AssertRate(views.Select(v => (int)v.OpAt(0) == op), 0.25, $"op {op} first");
        }
    }

    [Test]
    public void OneChannelImagesOnlyGetBrightnessAndContrast()
    {
        ViewParams[] views = DrawMany(AugmentOptions.Mnist, 28, 28, 1);
        Assert.That(views.Count(v => v.Gray != 0), Is.Zero);
        Assert.That(views.Where(v => v.Jitter == 1).All(v => v.JitterOps == 0b0011), Is.True);
    }

    [Test]
    public void ZeroStrengthTurnsAnOpOff()
    {
        AugmentConstants c = AugmentConstants.Create(
            AugmentOptions.Cifar10 with { Brightness = 0f, Hue = 0f }, 32, 32, 3);
        Assert.That(c.JitterOpsMask, Is.EqualTo((1 << (int)JitterOp.Contrast) | (1 << (int)JitterOp.Saturation)));
    }

    [Test]
    public void FallbackIsTheLargestCentredBoxWithinTheAspectBounds()
    {
        // A 10 x 100 strip: no crop of area >= 0.9 with aspect <= 4/3 fits, so every view falls back to the
        // centred 10 x round(10 * 4/3) = 10 x 13 box.
        var options = AugmentOptions.Cifar10 with { ScaleMin = 0.9f, ScaleMax = 1f };
        AugmentConstants c = AugmentConstants.Create(options, 10, 100, 3);
        for (uint i = 0; i < 50; i++)
        {
            ViewParams v = ViewSampler.Draw(in c, 1, 0, i, 0);
            Assert.That(v.CropTry, Is.EqualTo(-1));
            Assert.That((v.CropTop, v.CropLeft, v.CropHeight, v.CropWidth), Is.EqualTo((0, 43, 10, 13)));
        }
        // A tall 100 x 10 strip: width kept, height round(10 / (3/4)) = 13, centred.
        AugmentConstants tall = AugmentConstants.Create(options, 100, 10, 3);
        ViewParams t = ViewSampler.Draw(in tall, 1, 0, 0, 0);
        Assert.That((t.CropTop, t.CropLeft, t.CropHeight, t.CropWidth), Is.EqualTo((43, 0, 13, 10)));
    }

    [Test]
    public void DrawsDependOnEveryKeyAndCounterWord()
    {
        AugmentConstants c = AugmentConstants.Create(AugmentOptions.Stl10, 96, 96, 3);
        ViewParams baseline = ViewSampler.Draw(in c, 5, 2, 17, 3);
        ViewParams again = ViewSampler.Draw(in c, 5, 2, 17, 3);
        Assert.That(again, Is.EqualTo(baseline));
        Assert.That(ViewSampler.Draw(in c, 6, 2, 17, 3), Is.Not.EqualTo(baseline));
        Assert.That(ViewSampler.Draw(in c, 5, 3, 17, 3), Is.Not.EqualTo(baseline));
        Assert.That(ViewSampler.Draw(in c, 5, 2, 18, 3), Is.Not.EqualTo(baseline));
        Assert.That(ViewSampler.Draw(in c, 5, 2, 17, 4), Is.Not.EqualTo(baseline));
    }
}
