using System.Runtime.CompilerServices;

namespace RelReason.Data.Augmentation;

/// <summary>
/// Phase (b) of augmentation: given a view's <see cref="ViewParams"/>, computes every output pixel from the
/// uint8 HWC source image and writes the normalised view as float32 CHW (Channels x Side x Side).
/// </summary>
/// <remarks>
/// Per output pixel (x, y), in this order:
/// <list type="number">
/// <item>Bilinear sample of the crop box at output column x (mirrored to Side-1-x when flipped), row y, scaled
/// to [0, 1] by dividing by 255.</item>
/// <item>The jitter ops in the view's order, each clamped to [0, 1].</item>
/// <item>Grayscale: all three channels set to the luma.</item>
/// <item>Normalise: (v - mean[c]) / std[c].</item>
/// </list>
/// Resampling: half-pixel centres (source = (d + 0.5) * crop / Side - 0.5, clamped at 0; the next tap clamps to
/// the last row/column of the crop), four taps, no antialiasing. This is PyTorch's
/// interpolate(mode="bilinear", align_corners=False, antialias=False) applied to the cropped region (checked
/// against torch 1.13 on random crops, up- and downscaling: within 5e-7), and equals PIL's bilinear resize
/// (which the reference ran) whenever the crop is upsampled, since PIL's triangle filter then has support 1
/// (checked: within one uint8 level, PIL's own rounding). When downscaling PIL widens the filter (antialias) and
/// this sampler does not. RandomResizedCrop never downsamples when Side is the image side (the crop is at most the
/// image), which holds for every dataset of METHOD.md 3.1. PIL additionally rounds to uint8 after each step;
/// here everything stays float.
/// <para>
/// Contrast needs the mean gray of the view as it is just before contrast. When contrast applies, a first pass
/// computes each pixel up to that op, stores it (un-normalised) in the destination and adds its gray to a
/// per-row float sum; the row sums are then added in row order and divided by Side^2. A second pass reads the
/// stored pixels back and finishes them. A kernel reproduces the same bits by summing each row in one thread in
/// column order and the row sums in one thread in row order.
/// </para>
/// </remarks>
public static class ViewRenderer
{
    // Above this side the per-column tables go on the heap instead of the stack (3 x 4 bytes x side).
    private const int StackTableLimit = 1024;

    /// <summary>Renders one view. <paramref name="destination"/> needs at least <c>c.ViewLength</c> floats.</summary>
    public static void Render(in ViewParams p, in AugmentConstants c, ReadOnlySpan<byte> image, Span<float> destination)
    {
        Check(in p, in c, image, destination);
        int side = c.Side;
        int plane = side * side;

        // Column taps depend only on x, so they are computed once per view; a kernel recomputes them per pixel
        // with the same function and gets the same values.
        Span<int> col0 = side <= StackTableLimit ? stackalloc int[side] : new int[side];
        Span<int> col1 = side <= StackTableLimit ? stackalloc int[side] : new int[side];
        Span<float> colW = side <= StackTableLimit ? stackalloc float[side] : new float[side];
        for (int x = 0; x < side; x++)
        {
            int sourceX = p.Flip != 0 ? side - 1 - x : x;
            Tap(p.CropLeft, p.CropWidth, side, sourceX, out col0[x], out col1[x], out colW[x]);
        }

        // The ops this view applies, in order; contrast splits them into the two passes.
        Span<int> ops = stackalloc int[4];
        int opCount = 0;
        int contrastSlot = -1;
        for (int position = 0; position < 4; position++)
        {
            JitterOp op = p.OpAt(position);
            bool colourOnly = op == JitterOp.Saturation || op == JitterOp.Hue;
            if (p.Applies(op) && (c.Channels == 3 || !colourOnly))
            {
                contrastSlot = op == JitterOp.Contrast ? opCount : contrastSlot;
                ops[opCount++] = (int)op;
            }
        }
        ReadOnlySpan<int> firstOps = contrastSlot >= 0 ? ops[..contrastSlot] : ops[..opCount];

        float total = 0f;
        for (int y = 0; y < side; y++)
        {
            Tap(p.CropTop, p.CropHeight, side, y, out int row0, out int row1, out float rowW);
            float rowSum = 0f;
            for (int x = 0; x < side; x++)
            {
                Sample(in c, image, row0, row1, rowW, col0[x], col1[x], colW[x], out float r, out float g, out float b);
                ApplyOps(in p, firstOps, 0f, ref r, ref g, ref b);
                if (contrastSlot < 0)
                {
                    Finish(in p, in c, destination, plane, y * side + x, r, g, b);
                    continue;
                }
                Store(destination, c.Channels, plane, y * side + x, r, g, b);
                rowSum += c.Channels == 3 ? ColorOps.Gray(r, g, b) : r;
            }
            total += rowSum;
        }
        if (contrastSlot < 0)
        {
            return;
        }

        float mean = total / plane;
        ReadOnlySpan<int> secondOps = ops[contrastSlot..opCount];
        for (int i = 0; i < plane; i++)
        {
            float r = destination[i];
            float g = c.Channels == 3 ? destination[plane + i] : r;
            float b = c.Channels == 3 ? destination[2 * plane + i] : r;
            ApplyOps(in p, secondOps, mean, ref r, ref g, ref b);
            Finish(in p, in c, destination, plane, i, r, g, b);
        }
    }

    /// <summary>
    /// The two source indices (absolute, already offset by <paramref name="start"/>) and the weight of the
    /// second one for output index <paramref name="d"/> along an axis whose crop covers
    /// [start, start + length) and is resized to <paramref name="side"/> samples.
    /// </summary>
    public static void Tap(int start, int length, int side, int d, out int i0, out int i1, out float w1)
    {
        float scale = (float)length / side;
        float source = scale * (d + 0.5f) - 0.5f;
        if (source < 0f)
        {
            source = 0f;
        }
        int i = (int)source;
        if (i > length - 1)
        {
            i = length - 1;
        }
        w1 = source - i;
        i0 = start + i;
        i1 = start + (i < length - 1 ? i + 1 : i);
    }

    /// <summary>
    /// Position (0..3) of contrast in the view's order when it applies, else 4: the ops before it run in the
    /// first pass, it and the ops after it in the second.
    /// </summary>
    public static int ContrastPosition(in ViewParams p)
    {
        if (!p.Applies(JitterOp.Contrast))
        {
            return 4;
        }
        for (int position = 0; position < 4; position++)
        {
            if (p.OpAt(position) == JitterOp.Contrast)
            {
                return position;
            }
        }
        return 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sample(
        in AugmentConstants c, ReadOnlySpan<byte> image, int row0, int row1, float rowW,
        int col0, int col1, float colW, out float r, out float g, out float b)
    {
        int channels = c.Channels;
        int stride = c.Width * channels;
        int a = row0 * stride + col0 * channels;
        int bIdx = row0 * stride + col1 * channels;
        int cIdx = row1 * stride + col0 * channels;
        int dIdx = row1 * stride + col1 * channels;
        float wy0 = 1f - rowW;
        float wx0 = 1f - colW;
        r = Blend(image, a, bIdx, cIdx, dIdx, wx0, colW, wy0, rowW);
        if (channels == 3)
        {
            g = Blend(image, a + 1, bIdx + 1, cIdx + 1, dIdx + 1, wx0, colW, wy0, rowW);
            b = Blend(image, a + 2, bIdx + 2, cIdx + 2, dIdx + 2, wx0, colW, wy0, rowW);
        }
        else
        {
            g = r;
            b = r;
        }
    }

    // wy0 (wx0 v00 + wx1 v01) + wy1 (wx0 v10 + wx1 v11), on byte values, then / 255 as ToTensor does.
    // With weights exactly 1 and 0 (an unscaled crop) this returns the byte / 255 exactly.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Blend(
        ReadOnlySpan<byte> image, int i00, int i01, int i10, int i11, float wx0, float wx1, float wy0, float wy1)
    {
        float top = wx0 * image[i00] + wx1 * image[i01];
        float bottom = wx0 * image[i10] + wx1 * image[i11];
        return (wy0 * top + wy1 * bottom) / 255f;
    }

    // Applies the ops (op numbers, already filtered to those this view uses) in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyOps(
        in ViewParams p, ReadOnlySpan<int> ops, float mean, ref float r, ref float g, ref float b)
    {
        foreach (int op in ops)
        {
            switch ((JitterOp)op)
            {
                case JitterOp.Brightness:
                    r = ColorOps.Brightness(r, p.Brightness);
                    g = ColorOps.Brightness(g, p.Brightness);
                    b = ColorOps.Brightness(b, p.Brightness);
                    break;
                case JitterOp.Contrast:
                    r = ColorOps.Contrast(r, p.Contrast, mean);
                    g = ColorOps.Contrast(g, p.Contrast, mean);
                    b = ColorOps.Contrast(b, p.Contrast, mean);
                    break;
                case JitterOp.Saturation:
                    ColorOps.Saturation(ref r, ref g, ref b, p.Saturation);
                    break;
                default:
                    ColorOps.Hue(ref r, ref g, ref b, p.Hue);
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> destination, int channels, int plane, int i, float r, float g, float b)
    {
        destination[i] = r;
        if (channels == 3)
        {
            destination[plane + i] = g;
            destination[2 * plane + i] = b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(
        in ViewParams p, in AugmentConstants c, Span<float> destination, int plane, int i, float r, float g, float b)
    {
        if (c.Channels == 1)
        {
            destination[i] = (r - c.Mean0) / c.Std0;
            return;
        }
        if (p.Gray != 0)
        {
            float l = ColorOps.Gray(r, g, b);
            r = l;
            g = l;
            b = l;
        }
        destination[i] = (r - c.Mean0) / c.Std0;
        destination[plane + i] = (g - c.Mean1) / c.Std1;
        destination[2 * plane + i] = (b - c.Mean2) / c.Std2;
    }

    private static void Check(in ViewParams p, in AugmentConstants c, ReadOnlySpan<byte> image, Span<float> destination)
    {
        if (image.Length != c.ImageBytes)
        {
            throw new ArgumentException(
                $"augment: source image has {image.Length} bytes, expected {c.Height}x{c.Width}x{c.Channels} = " +
                $"{c.ImageBytes} (HWC uint8)");
        }
        if (destination.Length < c.ViewLength)
        {
            throw new ArgumentException(
                $"augment: destination has {destination.Length} floats, a view needs {c.Channels}x{c.Side}x{c.Side}" +
                $" = {c.ViewLength}");
        }
        if (p.CropHeight <= 0 || p.CropWidth <= 0 || p.CropTop < 0 || p.CropLeft < 0 ||
            p.CropTop + p.CropHeight > c.Height || p.CropLeft + p.CropWidth > c.Width)
        {
            throw new ArgumentException(
                $"augment: crop box top {p.CropTop} left {p.CropLeft} size {p.CropHeight}x{p.CropWidth} is not " +
                $"inside the {c.Height}x{c.Width} image");
        }
    }
}
