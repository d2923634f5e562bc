using RelReason.Data.Augmentation;

namespace RelReason.Tests.Data.Augmentation;

public class ColorOpsTests
{
    private static (float R, float G, float B) Hue(float r, float g, float b, float shift)
    {
        ColorOps.Hue(ref r, ref g, ref b, shift);
        return (r, g, b);
    }

    [Test]
    public void HueRotatesPrimariesAroundTheWheel()
    {
        AssertColor(Hue(1f, 0f, 0f, 1f / 3f), (0f, 1f, 0f));
        AssertColor(Hue(1f, 0f, 0f, 1f / 6f), (1f, 1f, 0f));
        AssertColor(Hue(1f, 0f, 0f, -1f / 3f), (0f, 0f, 1f));
        AssertColor(Hue(0f, 0f, 1f, 1f / 3f), (1f, 0f, 0f));
        // Value and saturation are kept: a dark, pale red becomes a dark, pale green.
        AssertColor(Hue(0.6f, 0.3f, 0.3f, 1f / 3f), (0.3f, 0.6f, 0.3f));
    }

    [Test]
    public void HueLeavesGrayPixelsAndZeroShiftAlone()
    {
        Assert.That(Hue(0.4f, 0.4f, 0.4f, 0.2f), Is.EqualTo((0.4f, 0.4f, 0.4f)));
        var random = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            float r = random.NextSingle();
            float g = random.NextSingle();
            float b = random.NextSingle();
            AssertColor(Hue(r, g, b, 0f), (r, g, b), 2e-6f);
        }
    }

    [Test]
    public void HueMatchesADoublePrecisionReference()
    {
        var random = new Random(17);
        for (int i = 0; i < 5000; i++)
        {
            float r = random.NextSingle();
            float g = random.NextSingle();
            float b = random.NextSingle();
            float shift = random.NextSingle() - 0.5f;
            AssertColor(Hue(r, g, b, shift), ReferenceHue(r, g, b, shift), 1e-5f);
        }
    }

    [Test]
    public void SaturationBlendsWithThePixelsGray()
    {
        float r = 0.8f;
        float g = 0.3f;
        float b = 0.1f;
        float gray = 0.299f * r + 0.587f * g + 0.114f * b;

        float r0 = r, g0 = g, b0 = b;
        ColorOps.Saturation(ref r0, ref g0, ref b0, 0f);
        Assert.That((r0, g0, b0), Is.EqualTo((gray, gray, gray)));

        float r1 = r, g1 = g, b1 = b;
        ColorOps.Saturation(ref r1, ref g1, ref b1, 1f);
        Assert.That((r1, g1, b1), Is.EqualTo((r, g, b)));

        float r2 = r, g2 = g, b2 = b;
        ColorOps.Saturation(ref r2, ref g2, ref b2, 1.5f);
        Assert.That(r2, Is.EqualTo(Math.Clamp(1.5 * r - 0.5 * gray, 0, 1)).Within(1e-6));
        Assert.That(g2, Is.EqualTo(Math.Clamp(1.5 * g - 0.5 * gray, 0, 1)).Within(1e-6));
        Assert.That(b2, Is.EqualTo(Math.Clamp(1.5 * b - 0.5 * gray, 0, 1)).Within(1e-6));
    }

    [Test]
    public void BlendsClampToTheUnitInterval()
    {
        Assert.That(ColorOps.Brightness(0.9f, 1.5f), Is.EqualTo(1f));
        Assert.That(ColorOps.Contrast(0.05f, 1.8f, 0.5f), Is.EqualTo(0f));
        Assert.That(ColorOps.Contrast(0.95f, 1.8f, 0.5f), Is.EqualTo(1f));
        Assert.That(ColorOps.Contrast(0.6f, 0.5f, 0.2f), Is.EqualTo(0.4f).Within(1e-7f));
    }

    // HSV -> RGB by the closed form c_n = v - v s max(0, min(k, 4 - k, 1)), k = (n + 6 h) mod 6, n = 5, 3, 1,
    // a different route from the sector table under test.
    private static (float, float, float) ReferenceHue(double r, double g, double b, double shift)
    {
        double max = Math.Max(r, Math.Max(g, b));
        double min = Math.Min(r, Math.Min(g, b));
        double chroma = max - min;
        if (chroma == 0)
        {
            return ((float)r, (float)g, (float)b);
        }
        double h = max == r ? (g - b) / chroma : max == g ? 2 + (b - r) / chroma : 4 + (r - g) / chroma;
        h = h / 6 + shift;
        h -= Math.Floor(h);
        double s = chroma / max;
        double Channel(double n)
        {
            double k = (n + 6 * h) % 6;
            return max - max * s * Math.Max(0, Math.Min(Math.Min(k, 4 - k), 1));
        }
        return ((float)Channel(5), (float)Channel(3), (float)Channel(1));
    }

    private static void AssertColor((float R, float G, float B) got, (float R, float G, float B) expected,
        float tolerance = 1e-6f)
    {
        Assert.That(got.R, Is.EqualTo(expected.R).Within(tolerance), "R");
        Assert.That(got.G, Is.EqualTo(expected.G).Within(tolerance), "G");
        Assert.That(got.B, Is.EqualTo(expected.B).Within(tolerance), "B");
    }
}
