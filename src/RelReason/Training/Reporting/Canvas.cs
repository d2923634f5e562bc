using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Training.Reporting;

/// <summary>Horizontal placement of text relative to its x coordinate.</summary>
internal enum Align
{
    Left,
    Center,
    Right,
}

/// <summary>An image of one byte per channel in height x width x channels order (1 = grey, 3 = RGB).</summary>
public sealed record GridImage
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied); its length must be height x width x channels.</summary>
    public GridImage(byte[] pixels, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (channels is not (1 or 3) || height <= 0 || width <= 0 || pixels.Length != height * width * channels)
        {
            throw new ArgumentException(
                $"image of {pixels.Length} bytes is not {height}x{width}x{channels} (channels must be 1 or 3)");
        }
        Pixels = pixels;
        Height = height;
        Width = width;
        Channels = channels;
    }

    /// <summary>Bytes in height x width x channels order.</summary>
    public byte[] Pixels { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }
}

/// <summary>
/// An RGBA pixel buffer with the few drawing operations the plots need: filled and outlined rectangles,
/// anti-aliased polylines (coverage from the distance of each pixel centre to the segment), bitmap text at an
/// integer scale (also rotated for vertical axis titles) and nearest-neighbour image blits. Saved as PNG through
/// ImageSharp, atomically.
/// </summary>
internal sealed class Canvas
{
    private readonly Rgba32[] _pixels;

    public Canvas(int width, int height, Rgba32 background)
    {
        if (width <= 0 || height <= 0 || (long)width * height > 64_000_000)
        {
            throw new ArgumentException($"canvas {width}x{height} is empty or too large");
        }
        Width = width;
        Height = height;
        _pixels = new Rgba32[width * height];
        Array.Fill(_pixels, background);
    }

    public int Width { get; }

    public int Height { get; }

    public Rgba32 this[int x, int y] => _pixels[y * Width + x];

    public void Fill(int x, int y, int width, int height, Rgba32 color)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = Math.Min(x + width, Width), y1 = Math.Min(y + height, Height);
        for (int row = y0; row < y1; row++)
        {
            _pixels.AsSpan(row * Width + x0, Math.Max(x1 - x0, 0)).Fill(color);
        }
    }

    /// <summary>Outline of thickness <paramref name="t"/> drawn inside the rectangle.</summary>
    public void Outline(int x, int y, int width, int height, Rgba32 color, int t = 1)
    {
        Fill(x, y, width, t, color);
        Fill(x, y + height - t, width, t, color);
        Fill(x, y, t, height, color);
        Fill(x + width - t, y, t, height, color);
    }

    /// <summary>Mixes <paramref name="color"/> into pixel (x, y) with weight <paramref name="alpha"/>.</summary>
    public void Blend(int x, int y, Rgba32 color, float alpha)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || alpha <= 0f)
        {
            return;
        }
        ref var p = ref _pixels[y * Width + x];
        float a = Math.Min(alpha, 1f);
        p = new Rgba32(
            (byte)MathF.Round(p.R + (color.R - p.R) * a),
            (byte)MathF.Round(p.G + (color.G - p.G) * a),
            (byte)MathF.Round(p.B + (color.B - p.B) * a),
            255);
    }

    /// <summary>
    /// Draws the polyline through <paramref name="points"/> (pixel coordinates) <paramref name="width"/> pixels
    /// wide, clipped to <paramref name="clip"/>. Coverage is the maximum over segments, so joints are not darker.
    /// Non-finite points break the line.
    /// </summary>
    public void Polyline(IReadOnlyList<(double X, double Y)> points, Rgba32 color, float width, Rectangle clip)
    {
        clip.Intersect(new Rectangle(0, 0, Width, Height));
        if (clip.Width <= 0 || clip.Height <= 0)
        {
            return;
        }
        var coverage = new float[clip.Width * clip.Height];
        double reach = width / 2.0 + 1;
        for (int i = 0; i < points.Count; i++)
        {
            var a = points[i];
            var b = i + 1 < points.Count ? points[i + 1] : a;
            if (!double.IsFinite(a.X + a.Y) || !double.IsFinite(b.X + b.Y))
            {
                continue;
            }
            int x0 = Math.Max(clip.Left, (int)Math.Floor(Math.Min(a.X, b.X) - reach));
            int x1 = Math.Min(clip.Right - 1, (int)Math.Ceiling(Math.Max(a.X, b.X) + reach));
            int y0 = Math.Max(clip.Top, (int)Math.Floor(Math.Min(a.Y, b.Y) - reach));
            int y1 = Math.Min(clip.Bottom - 1, (int)Math.Ceiling(Math.Max(a.Y, b.Y) + reach));
            for (int y = y0; y <= y1; y++)
            {
                for (int x = x0; x <= x1; x++)
                {
                    double d = DistanceToSegment(x + 0.5, y + 0.5, a, b);
                    float c = (float)Math.Clamp(width / 2.0 + 0.5 - d, 0, 1);
                    ref float cell = ref coverage[(y - clip.Top) * clip.Width + (x - clip.Left)];
                    cell = Math.Max(cell, c);
                }
            }
        }
        for (int y = 0; y < clip.Height; y++)
        {
            for (int x = 0; x < clip.Width; x++)
            {
                Blend(clip.Left + x, clip.Top + y, color, coverage[y * clip.Width + x]);
            }
        }
    }

    /// <summary>A filled disc (markers), anti-aliased at its edge.</summary>
    public void Disc(double cx, double cy, double radius, Rgba32 color)
    {
        for (int y = (int)Math.Floor(cy - radius - 1); y <= (int)Math.Ceiling(cy + radius + 1); y++)
        {
            for (int x = (int)Math.Floor(cx - radius - 1); x <= (int)Math.Ceiling(cx + radius + 1); x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                Blend(x, y, color, (float)Math.Clamp(radius + 0.5 - d, 0, 1));
            }
        }
    }

    /// <summary>
    /// Draws one line of text; (x, y) is the top of the glyph cell, x placed by <paramref name="align"/>.
    /// <paramref name="bold"/> widens every stroke by one pixel (for titles). Returns the width drawn.
    /// </summary>
    public int Text(int x, int y, string text, Rgba32 color, int scale, Align align = Align.Left, bool bold = false)
    {
        int width = BitmapFont.Measure(text, scale);
        int left = align switch
        {
            Align.Center => x - width / 2,
            Align.Right => x - width,
            _ => x,
        };
        for (int i = 0; i < text.Length; i++)
        {
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
            {
                for (int column = 0; column < BitmapFont.GlyphWidth; column++)
                {
                    if (BitmapFont.Pixel(text[i], column, row))
                    {
                        int px = left + (i * BitmapFont.Advance + column) * scale;
                        Fill(px, y + row * scale, bold ? scale + 1 : scale, scale, color);
                    }
                }
            }
        }
        return width;
    }

    /// <summary>
    /// Text turned 90 degrees anticlockwise (reading upwards), centred vertically on <paramref name="cy"/>, with
    /// the top of the glyphs at column <paramref name="x"/>.
    /// </summary>
    public void TextUp(int x, int cy, string text, Rgba32 color, int scale)
    {
        int length = BitmapFont.Measure(text, scale);
        int bottom = cy + length / 2;
        for (int i = 0; i < text.Length; i++)
        {
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
            {
                for (int column = 0; column < BitmapFont.GlyphWidth; column++)
                {
                    if (BitmapFont.Pixel(text[i], column, row))
                    {
                        int along = (i * BitmapFont.Advance + column) * scale;
                        Fill(x + row * scale, bottom - along - scale, scale, scale, color);
                    }
                }
            }
        }
    }

    /// <summary>Copies <paramref name="image"/> to (x, y), scaled up by <paramref name="scale"/>.</summary>
    public void Image(int x, int y, GridImage image, int scale)
    {
        for (int r = 0; r < image.Height; r++)
        {
            for (int c = 0; c < image.Width; c++)
            {
                int at = (r * image.Width + c) * image.Channels;
                var p = image.Channels == 1
                    ? new Rgba32(image.Pixels[at], image.Pixels[at], image.Pixels[at], 255)
                    : new Rgba32(image.Pixels[at], image.Pixels[at + 1], image.Pixels[at + 2], 255);
                Fill(x + c * scale, y + r * scale, scale, scale, p);
            }
        }
    }

    /// <summary>Encodes the canvas as an RGB PNG and writes it atomically.</summary>
    public void SavePng(string path)
    {
        using var image = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(_pixels, Width, Height);
        var encoder = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
        AtomicFile.Write(path, s => image.SaveAsPng(s, encoder));
    }

    private static double DistanceToSegment(double px, double py, (double X, double Y) a, (double X, double Y) b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        double length2 = dx * dx + dy * dy;
        double t = length2 == 0 ? 0 : Math.Clamp(((px - a.X) * dx + (py - a.Y) * dy) / length2, 0, 1);
        double ex = a.X + t * dx - px, ey = a.Y + t * dy - py;
        return Math.Sqrt(ex * ex + ey * ey);
    }
}
