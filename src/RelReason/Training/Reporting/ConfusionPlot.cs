using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Training.Reporting;

/// <summary>
/// A confusion matrix as a heat map: rows are true classes, columns predicted ones, each cell coloured by its
/// share of the row (recall on the diagonal) from white to dark blue, with the count written in the cell when it
/// fits. Class names label both axes (every tenth index instead when there are too many classes to name).
/// </summary>
internal static class ConfusionPlot
{
    private static readonly Rgba32[] Ramp = [new(247, 251, 255), new(107, 174, 214), new(8, 48, 107)];

    /// <summary>Where the drawing put things, for tests.</summary>
    internal sealed record Layout(Rectangle Matrix, int Cell, int NameScale, Rectangle RowNames,
        Rectangle ColumnNames);

    public static (Canvas Canvas, Layout Layout) Render(int[,] counts, IReadOnlyList<string> classNames, string title)
    {
        int n = counts.GetLength(0);
        if (n == 0 || counts.GetLength(1) != n || classNames.Count != n)
        {
            throw new ArgumentException(
                $"confusion matrix is {counts.GetLength(0)}x{counts.GetLength(1)} with {classNames.Count} class " +
                "names; it must be square with one name per class");
        }
        int cell = Math.Clamp(640 / n, 6, 56);
        int nameScale = cell >= 22 ? 2 : cell >= 10 ? 1 : 0;
        string[] names = nameScale > 0
            ? classNames.Select(s => Shorten(s, 18)).ToArray()
            : Enumerable.Range(0, n).Select(i => i % 10 == 0 ? i.ToString(CultureInfo.InvariantCulture) : "")
                .ToArray();
        int labelScale = Math.Max(nameScale, 1);
        int nameWidth = names.Max(s => BitmapFont.Measure(s, labelScale));
        int glyph = BitmapFont.GlyphHeight * 2;

        int matrixSize = cell * n;
        int left = 12 + glyph + 12 + nameWidth + 8;
        int top = 14 + BitmapFont.LineHeight * 2 + 16;
        int width = left + matrixSize + 24 + 18 + 12 + BitmapFont.Measure("100%", 2) + 16;
        int height = top + matrixSize + 8 + nameWidth + 12 + glyph + 14;
        var canvas = new Canvas(Math.Max(width, BitmapFont.Measure(title, 2) + 40), height, new Rgba32(255, 255, 255));

        long total = 0, correct = 0;
        for (int r = 0; r < n; r++)
        {
            long rowSum = 0;
            for (int c = 0; c < n; c++)
            {
                if (counts[r, c] < 0)
                {
                    throw new ArgumentException($"confusion matrix count [{r}, {c}] is negative ({counts[r, c]})");
                }
                rowSum += counts[r, c];
            }
            total += rowSum;
            correct += counts[r, r];
            for (int c = 0; c < n; c++)
            {
                double share = rowSum == 0 ? 0 : counts[r, c] / (double)rowSum;
                var colour = Colour(share);
                canvas.Fill(left + c * cell, top + r * cell, cell, cell, colour);
                WriteCount(canvas, left + c * cell, top + r * cell, cell, counts[r, c], share);
            }
        }
        string heading = total > 0
            ? $"{title} (accuracy {100.0 * correct / total:F1}%)".Replace(",", ".", StringComparison.Ordinal)
            : title;
        canvas.Text(canvas.Width / 2, 14, heading, Chart.Ink, 2, Align.Center, bold: true);
        canvas.Outline(left - 1, top - 1, matrixSize + 2, matrixSize + 2, Chart.Frame);

        int nameHeight = BitmapFont.CapHeight * labelScale;
        for (int i = 0; i < n; i++)
        {
            canvas.Text(left - 8, top + i * cell + (cell - nameHeight) / 2, names[i], Chart.Ink, labelScale,
                Align.Right);
            canvas.TextUp(left + i * cell + (cell - nameHeight) / 2, top + matrixSize + 8 + nameWidth / 2,
                names[i], Chart.Ink, labelScale);
        }
        canvas.TextUp(12, top + matrixSize / 2, "true class", Chart.Ink, 2);
        canvas.Text(left + matrixSize / 2, top + matrixSize + 8 + nameWidth + 12, "predicted class", Chart.Ink, 2,
            Align.Center);
        DrawColourBar(canvas, left + matrixSize + 24, top, matrixSize);

        var layout = new Layout(new Rectangle(left, top, matrixSize, matrixSize), cell, nameScale,
            new Rectangle(left - 8 - nameWidth, top, nameWidth, matrixSize),
            new Rectangle(left, top + matrixSize + 8, matrixSize, nameWidth));
        return (canvas, layout);
    }

    /// <summary>The heat-map colour of a row share in [0, 1].</summary>
    internal static Rgba32 Colour(double share)
    {
        double t = Math.Clamp(share, 0, 1) * (Ramp.Length - 1);
        int i = Math.Min((int)t, Ramp.Length - 2);
        double f = t - i;
        var (a, b) = (Ramp[i], Ramp[i + 1]);
        return new Rgba32((byte)Math.Round(a.R + (b.R - a.R) * f), (byte)Math.Round(a.G + (b.G - a.G) * f),
            (byte)Math.Round(a.B + (b.B - a.B) * f), 255);
    }

    private static void WriteCount(Canvas canvas, int x, int y, int cell, int count, double share)
    {
        string text = count.ToString(CultureInfo.InvariantCulture);
        for (int scale = 2; scale >= 1; scale--)
        {
            if (BitmapFont.Measure(text, scale) <= cell - 6 && BitmapFont.CapHeight * scale <= cell - 6)
            {
                var ink = share > 0.5 ? new Rgba32(255, 255, 255) : Chart.Ink;
                canvas.Text(x + cell / 2, y + (cell - BitmapFont.CapHeight * scale) / 2, text, ink, scale,
                    Align.Center);
                return;
            }
        }
    }

    private static void DrawColourBar(Canvas canvas, int x, int top, int height)
    {
        for (int y = 0; y < height; y++)
        {
            canvas.Fill(x, top + y, 18, 1, Colour(1 - y / (double)Math.Max(height - 1, 1)));
        }
        canvas.Outline(x - 1, top - 1, 20, height + 2, Chart.Frame);
        foreach (var (share, label) in new[] { (1.0, "100%"), (0.5, "50%"), (0.0, "0%") })
        {
            int y = top + (int)Math.Round((1 - share) * (height - 1));
            canvas.Text(x + 26, y - BitmapFont.CapHeight, label, Chart.Ink, 2);
        }
    }

    private static string Shorten(string name, int max) => name.Length <= max ? name : name[..(max - 1)] + ".";
}
