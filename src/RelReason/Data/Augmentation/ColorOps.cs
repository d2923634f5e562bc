namespace RelReason.Data.Augmentation;

/// <summary>
/// Per-pixel colour operations on floats in [0, 1], with torchvision's semantics for float images: a factor
/// blends the pixel with a "degenerate" value as f * x + (1 - f) * d and clamps to [0, 1]. Brightness blends with
/// black, contrast with the mean gray of the whole view, saturation with the pixel's own gray value; hue rotates
/// the HSV hue. Pure functions of their arguments: one GPU thread per pixel runs the same code.
/// </summary>
/// <remarks>
/// Gray is ITU-R 601 luma, 0.299 R + 0.587 G + 0.114 B, the weights PIL uses in convert("L"), which is what the
/// reference ran (its transforms act on PIL images); torchvision's tensor path uses 0.2989 for R. Expressions are
/// evaluated in the order written; see <see cref="PortableMath"/> for the rules a bit-exact CUDA port follows.
/// </remarks>
public static class ColorOps
{
    public const float GrayR = 0.299f;
    public const float GrayG = 0.587f;
    public const float GrayB = 0.114f;

    /// <summary>Luma of an RGB pixel.</summary>
    public static float Gray(float r, float g, float b) => GrayR * r + GrayG * g + GrayB * b;

    /// <summary>
    /// v clamped to [0, 1]. MathF.Min/Max compile to branch-free min/max instructions; they differ from plain
    /// comparisons only for NaN and for -0 (made +0), and neither reaches here: every input is a sum or product
    /// of non-negative values or a blend whose negative results are clamped. So a kernel's comparison form
    /// (v &lt; 0 ? 0 : v &gt; 1 ? 1 : v) gives the same bits.
    /// </summary>
    public static float Clamp01(float v) => MathF.Min(MathF.Max(v, 0f), 1f);

    /// <summary>x scaled by <paramref name="factor"/>, then clamped (a blend with black).</summary>
    public static float Brightness(float x, float factor) => Clamp01(factor * x);

    /// <summary>
    /// Blend of x with <paramref name="mean"/> (the view's mean gray before this op): f x + (1 - f) mean, clamped.
    /// </summary>
    public static float Contrast(float x, float factor, float mean) => Clamp01(factor * x + (1f - factor) * mean);

    /// <summary>Blend of each channel with the pixel's gray value, clamped.</summary>
    public static void Saturation(ref float r, ref float g, ref float b, float factor)
    {
        float gray = Gray(r, g, b);
        float keep = 1f - factor;
        r = Clamp01(factor * r + keep * gray);
        g = Clamp01(factor * g + keep * gray);
        b = Clamp01(factor * b + keep * gray);
    }

    /// <summary>
    /// Rotates the hue by <paramref name="shift"/> turns: RGB to HSV, h = (h + shift) mod 1, back to RGB.
    /// Gray pixels (max == min) have no hue and come back unchanged, as the round trip would give them.
    /// </summary>
    public static void Hue(ref float r, ref float g, ref float b, float shift)
    {
        float max = MathF.Max(r, MathF.Max(g, b));
        float min = MathF.Min(r, MathF.Min(g, b));
        float chroma = max - min;
        if (chroma == 0f)
        {
            return;
        }
        float value = max;
        float saturation = chroma / max;

        // Hue in sixths of a turn from the channel that holds the maximum; ties prefer R, then G.
        float sixths;
        if (max == r)
        {
            sixths = (g - b) / chroma;
        }
        else if (max == g)
        {
            sixths = 2f + (b - r) / chroma;
        }
        else
        {
            sixths = 4f + (r - g) / chroma;
        }
        float h = sixths / 6f + shift;
        h = h - MathF.Floor(h);

        float scaled = h * 6f;
        float sector = MathF.Floor(scaled);
        float f = scaled - sector;
        // h can round up to exactly 1.0 after the wrap of a tiny negative value; sector 6 is sector 0.
        int i = (int)sector;
        i = i >= 6 ? i - 6 : i;
        float p = Clamp01(value * (1f - saturation));
        float q = Clamp01(value * (1f - saturation * f));
        float t = Clamp01(value * (1f - saturation * (1f - f)));
        switch (i)
        {
            case 0:
                r = value;
                g = t;
                b = p;
                break;
            case 1:
                r = q;
                g = value;
                b = p;
                break;
            case 2:
                r = p;
                g = value;
                b = t;
                break;
            case 3:
                r = p;
                g = q;
                b = value;
                break;
            case 4:
                r = t;
                g = p;
                b = value;
                break;
            default:
                r = value;
                g = p;
                b = q;
                break;
        }
    }
}
