using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Training.Reporting;

/// <summary>One line of a chart: a name for the legend and its points (NaN values leave a gap).</summary>
public sealed record PlotSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>Draw a marker at every point (for short series such as accuracy per epoch).</summary>
    public bool Markers { get; init; }
}

/// <summary>
/// A line chart in a rectangle of a canvas: title, axes with "nice" ticks (1, 2 or 5 times a power of ten),
/// light grid, axis titles, the series, and a legend when there is more than one series.
/// </summary>
internal sealed class Chart
{
    public static readonly Rgba32 Ink = new(33, 33, 33);
    public static readonly Rgba32 Grid = new(228, 228, 228);
    public static readonly Rgba32 Frame = new(120, 120, 120);

    /// <summary>Line colours, in order of the series.</summary>
    public static readonly Rgba32[] Palette =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75),
    ];

    private const int TickScale = 2;
    private const int TitleScale = 2;

    public required string Title { get; init; }

    public required string XLabel { get; init; }

    public required string YLabel { get; init; }

    public required IReadOnlyList<PlotSeries> Series { get; init; }

    /// <summary>Fixed y range; null fits the data.</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Where the plot area (inside the axes) ended up, in canvas pixels; set by <see cref="Draw"/>.</summary>
    public Rectangle PlotArea { get; private set; }

    public (double Min, double Max) XAxis { get; private set; }

    public (double Min, double Max) YAxis { get; private set; }

    /// <summary>Pixel coordinates of data point (x, y) in the drawn chart.</summary>
    public (double X, double Y) ToPixel(double x, double y) =>
        (PlotArea.Left + (x - XAxis.Min) / (XAxis.Max - XAxis.Min) * (PlotArea.Width - 1),
         PlotArea.Bottom - 1 - (y - YAxis.Min) / (YAxis.Max - YAxis.Min) * (PlotArea.Height - 1));

    public void Draw(Canvas canvas, Rectangle panel)
    {
        var (xMin, xMax) = Extent(Series.SelectMany(s => s.X));
        if (xMin > 0 && xMin <= 0.1 * (xMax - xMin))
        {
            // Steps from 10 or epochs from 1: start the axis at 0 so that the first tick is there.
            xMin = 0;
        }
        var (yMin, yMax) = YRange ?? Pad(Extent(Series.SelectMany(s => s.Y)));
        var xTicks = Ticks(xMin, xMax, 8);
        var yTicks = Ticks(yMin, yMax, 6);
        XAxis = (xMin, xMax);
        YAxis = (yMin, yMax);
        string[] yLabels = Labels(yTicks);
        string[] xLabels = Labels(xTicks);

        int glyph = BitmapFont.GlyphHeight * TickScale;
        int left = panel.Left + 12 + glyph + 12 + yLabels.Max(l => BitmapFont.Measure(l, TickScale)) + 8;
        int top = panel.Top + 14 + BitmapFont.LineHeight * TitleScale + 8;
        int right = panel.Right - 16 - BitmapFont.Measure(xLabels[^1], TickScale) / 2;
        int bottom = panel.Bottom - 12 - glyph - 10 - glyph - 8;
        PlotArea = new Rectangle(left, top, Math.Max(right - left, 10), Math.Max(bottom - top, 10));

        canvas.Text((left + PlotArea.Right) / 2, panel.Top + 14, Title, Ink, TitleScale, Align.Center, bold: true);
        foreach (var (tick, label) in yTicks.Zip(yLabels))
        {
            int py = (int)Math.Round(ToPixel(XAxis.Min, tick).Y);
            canvas.Fill(left, py, PlotArea.Width, 1, Grid);
            canvas.Fill(left - 6, py, 6, 1, Frame);
            canvas.Text(left - 10, py - BitmapFont.CapHeight * TickScale / 2, label, Ink, TickScale, Align.Right);
        }
        foreach (var (tick, label) in xTicks.Zip(xLabels))
        {
            int px = (int)Math.Round(ToPixel(tick, YAxis.Min).X);
            canvas.Fill(px, top, 1, PlotArea.Height, Grid);
            canvas.Fill(px, PlotArea.Bottom, 1, 6, Frame);
            canvas.Text(px, PlotArea.Bottom + 10, label, Ink, TickScale, Align.Center);
        }
        canvas.Outline(left - 1, top - 1, PlotArea.Width + 2, PlotArea.Height + 2, Frame);
        canvas.Text((left + PlotArea.Right) / 2, PlotArea.Bottom + 10 + glyph + 10, XLabel, Ink, TickScale,
            Align.Center);
        canvas.TextUp(panel.Left + 12, (top + PlotArea.Bottom) / 2, YLabel, Ink, TickScale);

        for (int s = 0; s < Series.Count; s++)
        {
            var series = Series[s];
            var color = Palette[s % Palette.Length];
            var points = series.X.Zip(series.Y, (x, y) => ToPixel(x, y)).ToList();
            canvas.Polyline(points, color, 2.2f, PlotArea);
            if (series.Markers)
            {
                foreach (var (px, py) in points.Where(p => double.IsFinite(p.X + p.Y)))
                {
                    canvas.Disc(px, py, 3.5, color);
                }
            }
        }
        if (Series.Count > 1)
        {
            DrawLegend(canvas);
        }
    }

    private void DrawLegend(Canvas canvas)
    {
        int rowHeight = BitmapFont.LineHeight * TickScale + 4;
        int width = 44 + Series.Max(s => BitmapFont.Measure(s.Name, TickScale)) + 12;
        int height = Series.Count * rowHeight + 10;
        int x = PlotArea.Right - width - 10;
        int y = PlotArea.Bottom - height - 10;
        canvas.Fill(x, y, width, height, new Rgba32(255, 255, 255));
        canvas.Outline(x, y, width, height, Grid);
        for (int s = 0; s < Series.Count; s++)
        {
            int rowY = y + 6 + s * rowHeight;
            canvas.Fill(x + 10, rowY + 6, 26, 3, Palette[s % Palette.Length]);
            canvas.Text(x + 44, rowY, Series[s].Name, Ink, TickScale);
        }
    }

    /// <summary>Min and max of the finite values; (0, 1) when there are none; widened when they are equal.</summary>
    internal static (double Min, double Max) Extent(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values.Where(double.IsFinite))
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min > max)
        {
            return (0, 1);
        }
        if (min == max)
        {
            double half = min == 0 ? 1 : Math.Abs(min) * 0.05;
            return (min - half, max + half);
        }
        return (min, max);
    }

    private static (double Min, double Max) Pad((double Min, double Max) r)
    {
        double pad = (r.Max - r.Min) * 0.05;
        return (r.Min - pad, r.Max + pad);
    }

    /// <summary>Ticks in [min, max] with a step of 1, 2 or 5 times a power of ten, about count of them.</summary>
    internal static double[] Ticks(double min, double max, int count)
    {
        double raw = (max - min) / Math.Max(count - 1, 1);
        int p = (int)Math.Floor(Math.Log10(raw));
        int m = new[] { 1, 2, 5, 10 }.First(f => f * Math.Pow(10, p) >= raw);
        double step = m * Math.Pow(10, p);
        long first = (long)Math.Ceiling(min / step - 1e-9);
        long last = (long)Math.Floor(max / step + 1e-9);
        // k * m * 10^p evaluated with one rounding (a division for negative p), so 3 * 0.2 prints as 0.6.
        var ticks = new List<double>();
        for (long k = first; k <= last; k++)
        {
            ticks.Add(p >= 0 ? k * m * Math.Pow(10, p) : k * m / Math.Pow(10, -p));
        }
        return ticks.Count > 0 ? ticks.ToArray() : [min];
    }

    /// <summary>Tick labels with as many decimals as the step needs (and no "-0").</summary>
    internal static string[] Labels(double[] ticks)
    {
        double step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.Clamp((int)-Math.Floor(Math.Log10(step) + 1e-9), 0, 8);
        return ticks.Select(t => (Math.Abs(t) < step * 1e-6 ? 0 : t)
            .ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)).ToArray();
    }
}
