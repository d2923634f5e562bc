namespace RelReason.Data.Augmentation;

/// <summary>
/// Phase (a) of augmentation: the random parameters of one view as a pure function of
/// (constants, seed, epoch, image, view). Each draw reads a fixed Philox block,
/// counter (image, view, draw index, <see cref="Philox.Streams.Augment"/>), key (seed, epoch), so a GPU lane can
/// compute the same parameters for any view independently and get the same bits (see <see cref="PortableMath"/>
/// for the float rules).
/// </summary>
/// <remarks>
/// Draw indices and the words used from each block:
/// <list type="bullet">
/// <item>0 (<see cref="DrawFlags"/>): X0 flip, X1 jitter on/off, X2 grayscale, X3 order of the jitter ops.</item>
/// <item>1 (<see cref="DrawFactors"/>): X0 brightness, X1 contrast, X2 saturation, X3 hue.</item>
/// <item>2 + t for crop try t in 0..9 (<see cref="DrawFirstCrop"/>): X0 area scale, X1 log aspect, X2 top,
/// X3 left. Every try has its own block, so a rejected try costs nothing later draws depend on.</item>
/// </list>
/// All draws are made whether or not their op ends up used, so no draw index ever moves.
/// </remarks>
public static class ViewSampler
{
    /// <summary>Tries of the random crop before the centre-crop fallback (torchvision's 10).</summary>
    public const int CropTries = 10;

    public const uint DrawFlags = 0;
    public const uint DrawFactors = 1;
    public const uint DrawFirstCrop = 2;

    /// <summary>Draws the parameters of view <paramref name="view"/> of image <paramref name="image"/>.</summary>
    public static ViewParams Draw(in AugmentConstants c, uint seed, uint epoch, uint image, uint view)
    {
        var p = new ViewParams();
        DrawCrop(in c, seed, epoch, image, view, ref p);

        PhiloxBlock flags = Philox.Generate(image, view, DrawFlags, Philox.Streams.Augment, seed, epoch);
        // u < p with u in [0, 1): p = 0 never fires and p = 1 always does.
        p.Flip = Philox.ToUnitFloat(flags.X0) < c.FlipProbability ? 1 : 0;
        p.Jitter = Philox.ToUnitFloat(flags.X1) < c.JitterProbability ? 1 : 0;
        p.Gray = Philox.ToUnitFloat(flags.X2) < c.GrayProbability ? 1 : 0;
        p.JitterOps = p.Jitter != 0 ? c.JitterOpsMask : 0;
        p.Order = OrderFromIndex((int)Philox.Below(flags.X3, 24));

        PhiloxBlock factors = Philox.Generate(image, view, DrawFactors, Philox.Streams.Augment, seed, epoch);
        p.Brightness = Uniform(c.BrightnessMin, c.BrightnessMax, factors.X0);
        p.Contrast = Uniform(c.ContrastMin, c.ContrastMax, factors.X1);
        p.Saturation = Uniform(c.SaturationMin, c.SaturationMax, factors.X2);
        p.Hue = Uniform(c.HueMin, c.HueMax, factors.X3);
        return p;
    }

    /// <summary>
    /// The permutation of the four jitter ops with index 0..23, decoded as mixed radix (4, 3, 2, 1): each digit
    /// picks one of the ops not yet placed. Returned packed as in <see cref="ViewParams.Order"/>.
    /// </summary>
    public static int OrderFromIndex(int index)
    {
        // Ops not yet placed, 2 bits each, lowest first: starts as (0, 1, 2, 3).
        int remaining = ViewParams.PackOrder(0, 1, 2, 3);
        int order = 0;
        for (int position = 0; position < 4; position++)
        {
            int left = 4 - position;
            int pick = index % left;
            index /= left;
            int op = (remaining >> (2 * pick)) & 3;
            int below = remaining & ((1 << (2 * pick)) - 1);
            int above = remaining >> (2 * pick + 2);
            remaining = below | (above << (2 * pick));
            order |= op << (2 * position);
        }
        return order;
    }

    /// <summary>
    /// RandomResizedCrop's box: up to <see cref="CropTries"/> tries of (area fraction uniform in
    /// [ScaleMin, ScaleMax], aspect log-uniform in [RatioMin, RatioMax]); the first that fits is placed
    /// uniformly; if none fits, the largest centred box whose aspect is within the bounds.
    /// </summary>
    private static void DrawCrop(in AugmentConstants c, uint seed, uint epoch, uint image, uint view, ref ViewParams p)
    {
        // Exact while Height * Width < 2^24, i.e. for any image up to 4096 x 4096.
        float area = (float)c.Height * c.Width;
        for (int t = 0; t < CropTries; t++)
        {
            PhiloxBlock r = Philox.Generate(image, view, DrawFirstCrop + (uint)t, Philox.Streams.Augment, seed, epoch);
            float targetArea = area * Uniform(c.ScaleMin, c.ScaleMax, r.X0);
            float aspect = PortableMath.Exp(Uniform(c.LogRatioMin, c.LogRatioMax, r.X1));
            // MathF.Round is round-half-to-even, like Python's round() in torchvision and CUDA's rintf.
            int w = (int)MathF.Round(MathF.Sqrt(targetArea * aspect));
            int h = (int)MathF.Round(MathF.Sqrt(targetArea / aspect));
            if (w > 0 && w <= c.Width && h > 0 && h <= c.Height)
            {
                p.CropTop = (int)Philox.Below(r.X2, (uint)(c.Height - h + 1));
                p.CropLeft = (int)Philox.Below(r.X3, (uint)(c.Width - w + 1));
                p.CropHeight = h;
                p.CropWidth = w;
                p.CropTry = t;
                return;
            }
        }

        float imageRatio = (float)c.Width / c.Height;
        int fw;
        int fh;
        if (imageRatio < c.RatioMin)
        {
            fw = c.Width;
            fh = Math.Max(1, (int)MathF.Round(fw / c.RatioMin));
        }
        else if (imageRatio > c.RatioMax)
        {
            fh = c.Height;
            fw = Math.Min(c.Width, (int)MathF.Round(fh * c.RatioMax));
        }
        else
        {
            fw = c.Width;
            fh = c.Height;
        }
        p.CropTop = (c.Height - fh) / 2;
        p.CropLeft = (c.Width - fw) / 2;
        p.CropHeight = fh;
        p.CropWidth = fw;
        p.CropTry = -1;
    }

    /// <summary>lo + (hi - lo) * u with u the 24-bit unit float of <paramref name="bits"/>.</summary>
    private static float Uniform(float lo, float hi, uint bits) => lo + (hi - lo) * Philox.ToUnitFloat(bits);
}
