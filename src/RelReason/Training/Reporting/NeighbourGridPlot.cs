using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Training.Reporting;

/// <summary>One retrieved image: the picture, its label, and whether the label equals the query's.</summary>
public sealed record Neighbour(GridImage Image, string Label, bool SameLabel);

/// <summary>A query image with its label and its nearest neighbours, nearest first.</summary>
public sealed record NeighbourRow(GridImage Query, string Label, IReadOnlyList<Neighbour> Neighbours);

/// <summary>
/// Rows of query + nearest neighbours: the query framed in grey, then each neighbour framed green (same label)
/// or red (different label), labels under the pictures, neighbour ranks above the columns.
/// </summary>
internal static class NeighbourGridPlot
{
    public static readonly Rgba32 Same = new(46, 160, 67);
    public static readonly Rgba32 Different = new(214, 39, 40);
    public static readonly Rgba32 QueryFrame = new(90, 90, 90);

    /// <summary>Top-left corner of picture (row, column) inside its frame; column 0 is the query.</summary>
    internal sealed record Layout(int Scale, int Picture, int Border, Func<int, int, Point> Origin);

    public static (Canvas Canvas, Layout Layout) Render(IReadOnlyList<NeighbourRow> rows, string title)
    {
        if (rows.Count == 0)
        {
            throw new ArgumentException("neighbour grid: no rows to draw");
        }
        int side = rows.SelectMany(r => r.Neighbours.Select(n => n.Image).Prepend(r.Query))
            .Max(i => Math.Max(i.Height, i.Width));
        int scale = Math.Clamp((int)Math.Ceiling(96.0 / side), 1, 8);
        int picture = side * scale;
        const int border = 4;
        int frame = picture + 2 * border;
        int labelScale = BitmapFont.Measure("airplane", 2) <= frame ? 2 : 1;
        int columns = 1 + rows.Max(r => r.Neighbours.Count);
        int columnStep = frame + 12;
        int rowStep = frame + 8 + BitmapFont.LineHeight * labelScale + 14;
        const int gap = 28;
        int left = 20;
        int top = 14 + BitmapFont.LineHeight * 2 + 8 + BitmapFont.LineHeight * 2 + 14 + BitmapFont.LineHeight * 2;
        int width = Math.Max(left + columns * columnStep + gap + 8, 560);
        int height = top + rows.Count * rowStep + 8;
        var canvas = new Canvas(width, height, new Rgba32(255, 255, 255));

        Point Origin(int row, int column) =>
            new(left + column * columnStep + (column > 0 ? gap : 0) + border, top + row * rowStep + border);

        canvas.Text(width / 2, 14, title, Chart.Ink, 2, Align.Center, bold: true);
        int legendY = 14 + BitmapFont.LineHeight * 2 + 8;
        int x = left;
        foreach (var (colour, text) in new[] { (Same, "same label"), (Different, "different label") })
        {
            canvas.Fill(x, legendY + 1, 14, 14, colour);
            x += 22 + canvas.Text(x + 22, legendY, text, Chart.Ink, 2) + 24;
        }
        int headerY = top - border - BitmapFont.LineHeight * 2;
        canvas.Text(Origin(0, 0).X + picture / 2, headerY, "query", Chart.Ink, 2, Align.Center);
        for (int c = 1; c < columns; c++)
        {
            string rank = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
            canvas.Text(Origin(0, c).X + picture / 2, headerY, rank, Chart.Ink, 2, Align.Center);
        }
        for (int r = 0; r < rows.Count; r++)
        {
            DrawCell(canvas, Origin(r, 0), picture, border, scale, rows[r].Query, rows[r].Label, QueryFrame,
                labelScale);
            for (int c = 0; c < rows[r].Neighbours.Count; c++)
            {
                var n = rows[r].Neighbours[c];
                DrawCell(canvas, Origin(r, c + 1), picture, border, scale, n.Image, n.Label,
                    n.SameLabel ? Same : Different, labelScale);
            }
        }
        return (canvas, new Layout(scale, picture, border, Origin));
    }

    private static void DrawCell(Canvas canvas, Point origin, int picture, int border, int scale, GridImage image,
        string label, Rgba32 frame, int labelScale)
    {
        canvas.Fill(origin.X - border, origin.Y - border, picture + 2 * border, picture + 2 * border, frame);
        canvas.Fill(origin.X, origin.Y, picture, picture, new Rgba32(255, 255, 255));
        // Centre a non-square or smaller image in the square cell.
        int dx = (picture - image.Width * scale) / 2, dy = (picture - image.Height * scale) / 2;
        canvas.Image(origin.X + dx, origin.Y + dy, image, scale);
        int room = picture + 2 * border + 8;
        string text = label;
        while (text.Length > 1 && BitmapFont.Measure(text, labelScale) > room)
        {
            text = text[..^2] + ".";
        }
        canvas.Text(origin.X + picture / 2, origin.Y + picture + border + 6, text, Chart.Ink, labelScale,
            Align.Center);
    }
}
