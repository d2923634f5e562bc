using System.Runtime.InteropServices;

namespace RelReason.Data.Augmentation;

/// <summary>
/// The random choices of one view, drawn by <see cref="ViewSampler"/> (phase a) and consumed pixel by pixel by
/// <see cref="ViewRenderer"/> (phase b). Plain ints and floats so that a GPU kernel can read an array of them
/// (one per view) or draw them itself with the same code. Flags are ints (0 or 1) rather than bools so the
/// layout is the same in C# and CUDA.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct ViewParams
{
    /// <summary>Crop box in source pixels: rows [CropTop, CropTop + CropHeight), columns likewise.</summary>
    public int CropTop;
    public int CropLeft;
    public int CropHeight;
    public int CropWidth;

    /// <summary>
    /// Which of the crop tries was accepted (0-based), or -1 when all failed and the centre-crop fallback was
    /// used. Informational: the renderer does not read it.
    /// </summary>
    public int CropTry;

    /// <summary>1 to mirror the view left-right.</summary>
    public int Flip;

    /// <summary>1 when colour jitter was drawn for this view (probability JitterProbability).</summary>
    public int Jitter;

    /// <summary>
    /// The jitter ops actually applied, bit i for <see cref="JitterOp"/> i: the enabled ops when
    /// <see cref="Jitter"/> is 1, else 0.
    /// </summary>
    public int JitterOps;

    /// <summary>
    /// The order of the four ops: position p (0 first) holds op (Order &gt;&gt; 2p) &amp; 3. Always a
    /// permutation of 0..3; ops not in <see cref="JitterOps"/> are skipped where they stand.
    /// </summary>
    public int Order;

    /// <summary>Multiplier of the image (clamped to [0, 1] after).</summary>
    public float Brightness;

    /// <summary>Blend weight of the image against its mean gray value.</summary>
    public float Contrast;

    /// <summary>Blend weight of each pixel against its own gray value.</summary>
    public float Saturation;

    /// <summary>Hue shift in turns (1 = 360 degrees).</summary>
    public float Hue;

    /// <summary>1 to replace all three channels by the pixel's gray value (after jitter).</summary>
    public int Gray;

    /// <summary>The op at position <paramref name="position"/> (0..3) of <see cref="Order"/>.</summary>
    public readonly JitterOp OpAt(int position) => (JitterOp)((Order >> (2 * position)) & 3);

    /// <summary>Whether <paramref name="op"/> is applied to this view.</summary>
    public readonly bool Applies(JitterOp op) => ((JitterOps >> (int)op) & 1) != 0;

    /// <summary>
    /// Parameters that leave the image as it is apart from resizing: the whole image as the crop, no flip,
    /// no jitter, no grayscale; factors neutral.
    /// </summary>
    public static ViewParams Identity(int height, int width)
    {
        return new ViewParams
        {
            CropTop = 0,
            CropLeft = 0,
            CropHeight = height,
            CropWidth = width,
            CropTry = -1,
            Order = PackOrder(0, 1, 2, 3),
            Brightness = 1f,
            Contrast = 1f,
            Saturation = 1f,
            Hue = 0f,
        };
    }

    /// <summary>Packs four op numbers (a permutation of 0..3) into the <see cref="Order"/> format.</summary>
    public static int PackOrder(int first, int second, int third, int fourth)
    {
        return first | (second << 2) | (third << 4) | (fourth << 6);
    }
}
