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
/// Resampling is separable, per axis. Where the crop is resized up (or kept), the axis takes two taps with
/// half-pixel centres (source = (d + 0.5) * crop / Side - 0.5, clamped at 0; the next tap clamps to the last
/// row/column of the crop): PyTorch's interpolate(mode="bilinear", align_corners=False, antialias=False) on the
/// cropped region (checked against torch 1.13 on random crops: within 5e-7), and PIL's bilinear resize, which the
/// reference ran (checked: within one uint8 level, PIL's own rounding). Where the crop is resized down by a factor
/// s = crop / Side > 1, the axis widens the triangle filter to half-width s, as PIL does to avoid aliasing: output
/// index d takes the crop samples j in [(int)(c - s + 0.5), (int)(c + s + 0.5)) with c = s * (d + 0.5), weighted
/// max(0, 1 - |j + 0.5 - c| / s) and normalised by the sum of the weights (torch's interpolate with antialias=True
/// computes the same filter). The sample is sum over row taps of w_row * (sum over column taps of w_col * byte),
/// both sums in ascending tap order from 0, then / 255; with two taps per axis this is the same arithmetic, bit for
/// bit, as the plain bilinear formula. RandomResizedCrop downscales only when Side is smaller than the crop, e.g.
/// with --size below the image side, and the evaluation transform when images are larger than Side. PIL
/// additionally rounds to uint8 after each step; here everything stays float.
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
    // Tables with more entries than this go on the heap instead of the stack (4 bytes an entry).
    private const int StackTableLimit = 1024;

    /// <summary>Renders one view. <paramref name="destination"/> needs at least <c>c.ViewLength</c> floats.</summary>
    public static void Render(in ViewParams p, in AugmentConstants c, ReadOnlySpan<byte> image, Span<float> destination)
    {
        Check(in p, in c, image, destination);
        int side = c.Side;
        int plane = side * side;

        // Column taps depend only on x, so they are computed once per view; a kernel recomputes them per pixel
        // with the same function and gets the same values. Layout: taps of column x at [x * colMax, + colCount[x]).
        int colMax = MaxTaps(p.CropWidth, side), rowMax = MaxTaps(p.CropHeight, side);
        bool small = side * colMax <= StackTableLimit;
        Span<int> colCount = side <= StackTableLimit ? stackalloc int[side] : new int[side];
        Span<int> colIndex = small ? stackalloc int[side * colMax] : new int[side * colMax];
        Span<float> colWeight = small ? stackalloc float[side * colMax] : new float[side * colMax];
        Span<int> rowIndex = rowMax <= StackTableLimit ? stackalloc int[rowMax] : new int[rowMax];
        Span<float> rowWeight = rowMax <= StackTableLimit ? stackalloc float[rowMax] : new float[rowMax];
        for (int x = 0; x < side; x++)
        {
            int sourceX = p.Flip != 0 ? side - 1 - x : x;
            colCount[x] = AxisTaps(p.CropLeft, p.CropWidth, side, sourceX, colIndex.Slice(x * colMax, colMax),
                colWeight.Slice(x * colMax, colMax));
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
            int rowCount = AxisTaps(p.CropTop, p.CropHeight, side, y, rowIndex, rowWeight);
            var rows = new Taps(rowIndex[..rowCount], rowWeight[..rowCount]);
            float rowSum = 0f;
            for (int x = 0; x < side; x++)
            {
                var cols = new Taps(colIndex.Slice(x * colMax, colCount[x]), colWeight.Slice(x * colMax, colCount[x]));
                Sample(in c, image, rows, cols, out float r, out float g, out float b);
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

    /// <summary>Most taps <see cref="AxisTaps"/> gives along an axis whose crop is <paramref name="length"/> long.
    /// </summary>
    public static int MaxTaps(int length, int side) => length <= side ? 2 : (int)(2f * length / side) + 3;

    /// <summary>
    /// The taps of output index <paramref name="d"/> along an axis whose crop covers [start, start + length) and is
    /// resized to <paramref name="side"/> samples: absolute source indices and weights, in summation order (see the
    /// class remarks). Returns the count; the spans need <see cref="MaxTaps"/> entries.
    /// </summary>
    public static int AxisTaps(int start, int length, int side, int d, Span<int> index, Span<float> weight)
    {
        if (length <= side)
        {
            Tap(start, length, side, d, out index[0], out index[1], out float w1);
            weight[0] = 1f - w1;
            weight[1] = w1;
            return 2;
        }
        float scale = (float)length / side;
        float center = scale * (d + 0.5f);
        int lo = Math.Max((int)(center - scale + 0.5f), 0);
        int hi = Math.Min((int)(center + scale + 0.5f), length);
        float sum = 0f;
        for (int j = lo; j < hi; j++)
        {
            sum += Triangle(j, center, scale);
        }
        for (int j = lo; j < hi; j++)
        {
            index[j - lo] = start + j;
            weight[j - lo] = Triangle(j, center, scale) / sum;
        }
        return hi - lo;
    }

    // The widened triangle filter at crop sample j: positive within half-width `scale` of the centre.
    private static float Triangle(int j, float center, float scale)
    {
        float w = 1f - MathF.Abs((j + 0.5f - center) / scale);
        return w > 0f ? w : 0f;
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

    // The source indices and weights of one axis for one output pixel.
    private readonly ref struct Taps(ReadOnlySpan<int> index, ReadOnlySpan<float> weight)
    {
        public readonly ReadOnlySpan<int> Index = index;
        public readonly ReadOnlySpan<float> Weight = weight;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sample(in AugmentConstants c, ReadOnlySpan<byte> image, in Taps rows, in Taps cols,
        out float r, out float g, out float b)
    {
        int channels = c.Channels;
        int stride = c.Width * channels;
        r = Blend(image, stride, channels, 0, in rows, in cols);
        if (channels == 3)
        {
            g = Blend(image, stride, channels, 1, in rows, in cols);
            b = Blend(image, stride, channels, 2, in rows, in cols);
        }
        else
        {
            g = r;
            b = r;
        }
    }

    // sum_t wrow[t] * (sum_u wcol[u] * byte), both sums from 0 in tap order, then / 255 as ToTensor does. With
    // weights exactly 1 and 0 (an unscaled crop) this returns the byte / 255 exactly.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Blend(ReadOnlySpan<byte> image, int stride, int channels, int channel, in Taps rows,
        in Taps cols)
    {
        float total = 0f;
        for (int t = 0; t < rows.Index.Length; t++)
        {
            int row = rows.Index[t] * stride + channel;
            float line = 0f;
            for (int u = 0; u < cols.Index.Length; u++)
            {
                line += cols.Weight[u] * image[row + cols.Index[u] * channels];
            }
            total += rows.Weight[t] * line;
        }
        return total / 255f;
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
