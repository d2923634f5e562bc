using System.Runtime.InteropServices;

namespace RelReason.Data.Augmentation;

/// <summary>The four colour-jitter operations, numbered as in <see cref="ViewParams.Order"/> and op masks.</summary>
public enum JitterOp
{
    Brightness = 0,
    Contrast = 1,
    Saturation = 2,
    Hue = 3,
}

/// <summary>
/// Everything the two phases of augmentation need besides the random numbers, flattened into plain floats and
/// ints so that it can be passed by value to a GPU kernel (a struct with the same fields in the same order in
/// kernels/augment.cu). Built once per dataset by <see cref="Create"/>; ranges are precomputed here on the host
/// (including the logs of the aspect bounds) so the per-view code needs no transcendental functions but exp.
/// </summary>
/// <remarks>Layout: sequential, 4-byte fields only, no padding.</remarks>
[StructLayout(LayoutKind.Sequential)]
public struct AugmentConstants
{
    /// <summary>Source image height, width and channels (1 or 3); images are HWC uint8.</summary>
    public int Height;
    public int Width;
    public int Channels;

    /// <summary>Output side S; a view is Channels x S x S floats (CHW).</summary>
    public int Side;

    public float ScaleMin;
    public float ScaleMax;
    public float RatioMin;
    public float RatioMax;

    /// <summary>ln(RatioMin) and ln(RatioMax), computed in double on the host and rounded to float.</summary>
    public float LogRatioMin;
    public float LogRatioMax;

    public float FlipProbability;
    public float JitterProbability;
    public float GrayProbability;

    /// <summary>Factor ranges [min, max] of the jitter ops; hue is a shift in turns.</summary>
    public float BrightnessMin;
    public float BrightnessMax;
    public float ContrastMin;
    public float ContrastMax;
    public float SaturationMin;
    public float SaturationMax;
    public float HueMin;
    public float HueMax;

    /// <summary>
    /// Bit i set when <see cref="JitterOp"/> i takes part in jitter: its strength is non-zero and it makes sense
    /// for the channel count (saturation and hue need 3 channels).
    /// </summary>
    public int JitterOpsMask;

    /// <summary>Per-channel normalisation; for one channel only index 0 is used.</summary>
    public float Mean0;
    public float Mean1;
    public float Mean2;
    public float Std0;
    public float Std1;
    public float Std2;

    /// <summary>Flattens validated <paramref name="options"/> for images of the given shape.</summary>
    public static AugmentConstants Create(AugmentOptions options, int height, int width, int channels)
    {
        options.Validate(channels);
        if (height <= 0 || width <= 0)
        {
            throw new ArgumentException($"augment: image size must be positive, got {height}x{width}");
        }
        bool colour = channels == 3;
        int mask = 0;
        mask |= options.Brightness > 0f ? 1 << (int)JitterOp.Brightness : 0;
        mask |= options.Contrast > 0f ? 1 << (int)JitterOp.Contrast : 0;
        mask |= colour && options.Saturation > 0f ? 1 << (int)JitterOp.Saturation : 0;
        mask |= colour && options.Hue > 0f ? 1 << (int)JitterOp.Hue : 0;
        return new AugmentConstants
        {
            Height = height,
            Width = width,
            Channels = channels,
            Side = options.Side,
            ScaleMin = options.ScaleMin,
            ScaleMax = options.ScaleMax,
            RatioMin = options.RatioMin,
            RatioMax = options.RatioMax,
            LogRatioMin = (float)Math.Log(options.RatioMin),
            LogRatioMax = (float)Math.Log(options.RatioMax),
            FlipProbability = options.FlipProbability,
            JitterProbability = options.JitterProbability,
            GrayProbability = colour ? options.GrayscaleProbability : 0f,
            BrightnessMin = MathF.Max(0f, 1f - options.Brightness),
            BrightnessMax = 1f + options.Brightness,
            ContrastMin = MathF.Max(0f, 1f - options.Contrast),
            ContrastMax = 1f + options.Contrast,
            SaturationMin = MathF.Max(0f, 1f - options.Saturation),
            SaturationMax = 1f + options.Saturation,
            HueMin = -options.Hue,
            HueMax = options.Hue,
            JitterOpsMask = mask,
            Mean0 = options.Mean[0],
            Mean1 = colour ? options.Mean[1] : 0f,
            Mean2 = colour ? options.Mean[2] : 0f,
            Std0 = options.Std[0],
            Std1 = colour ? options.Std[1] : 1f,
            Std2 = colour ? options.Std[2] : 1f,
        };
    }

    /// <summary>Floats in one view: Channels x Side x Side.</summary>
    public readonly int ViewLength => Channels * Side * Side;

    /// <summary>Bytes in one source image: Height x Width x Channels.</summary>
    public readonly int ImageBytes => Height * Width * Channels;
}
