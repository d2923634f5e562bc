using RelReason.Tests.Data;
using RelReason.Training.Reporting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Tests.Training;

/// <summary>
/// The figures are decoded from their PNG files and checked where the data says lines, cells, frames and text
/// must be. With RELREASON_PLOT_DIR set, the PNGs are also kept there for a person to look at.
/// </summary>
public class PlotTests
{
    private static readonly string[] FashionNames =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    private TempFolder _dir = null!;

    [SetUp]
    public void Setup() => _dir = new TempFolder();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static List<MetricsRecord> Metrics()
    {
        var records = new List<MetricsRecord>();
        for (int step = 10; step <= 1000; step += 10)
        {
            records.Add(new MetricsRecord(step, new Dictionary<string, double>
            {
                ["loss"] = 0.05 + 0.65 * Math.Exp(-step / 250.0),
                ["pair_accuracy"] = 0.5 + 0.4 * (1 - Math.Exp(-step / 250.0)),
            }));
        }
        return records;
    }

    [Test]
    public void TrainingCurvesDrawEachPointWhereTheDataSays()
    {
        var metrics = Metrics();
        string path = Save("training.png", p => Plots.TrainingCurves(p, metrics, "conv4 on fashion-mnist-small"));
        using var png = Image.Load<Rgba32>(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((1000, 860)));

        var (_, loss, accuracy) = Plots.RenderTrainingCurves(metrics, "conv4 on fashion-mnist-small", "loss",
            "pair_accuracy");
        Assert.That(accuracy.PlotArea.Top, Is.GreaterThan(loss.PlotArea.Bottom), "accuracy panel below the loss one");
        var blue = new Rgba32(31, 119, 180);
        foreach (var m in metrics.Where((_, i) => i % 7 == 0))
        {
            AssertNear(png, loss.ToPixel(m.Step, m["loss"]), blue, $"loss at step {m.Step}");
            AssertNear(png, accuracy.ToPixel(m.Step, m["pair_accuracy"]), blue, $"accuracy at step {m.Step}");
        }
        // Far from the curve (loss 0.7 at the last step) the plot area is background or grid, not line.
        var (fx, fy) = loss.ToPixel(1000, 0.7);
        Assert.That(Distance(png[(int)fx - 3, (int)fy], blue), Is.GreaterThan(150));
        // The title is drawn: dark text pixels above the plot area.
        Assert.That(CountInk(png, new Rectangle(0, 0, 1000, loss.PlotArea.Top - 4)), Is.GreaterThan(200));
    }

    [Test]
    public void AccuracyPerEpochHasTwoSeriesWithMarkersAndALegend()
    {
        var epochs = Enumerable.Range(1, 20).Select(e => (double)e).ToList();
        var train = epochs.Select(e => 60 + 30 * (1 - Math.Exp(-e / 5))).ToList();
        var test = epochs.Select(e => 55 + 25 * (1 - Math.Exp(-e / 6))).ToList();
        var series = new[] { new PlotSeries("train", epochs, train), new PlotSeries("test", epochs, test) };
        string path = Save("linear_eval.png", p => Plots.AccuracyPerEpoch(p, "linear evaluation", series));
        using var png = Image.Load<Rgba32>(path);
        var (_, chart) = Plots.RenderLineChart("linear evaluation", "epoch", "accuracy (%)",
            series.Select(s => s with { Markers = true }).ToList(), null, 900, 560);
        Assert.That((png.Width, png.Height), Is.EqualTo((900, 560)));
        for (int e = 0; e < 20; e += 4)
        {
            AssertNear(png, chart.ToPixel(epochs[e], train[e]), new Rgba32(31, 119, 180), $"train epoch {e + 1}");
            AssertNear(png, chart.ToPixel(epochs[e], test[e]), new Rgba32(255, 127, 14), $"test epoch {e + 1}");
        }
    }

    [Test]
    public void ConfusionMatrixColoursCellsByRowShareAndNamesEveryClass()
    {
        var counts = new int[10, 10];
        var rng = new Random(4);
        for (int r = 0; r < 10; r++)
        {
            for (int c = 0; c < 10; c++)
            {
                counts[r, c] = r == c ? 80 + r : (c == (r + 3) % 10 ? 20 : rng.Next(0, 3));
            }
        }
        counts[9, 2] = 0;
        string path = Save("confusion.png", p => Plots.ConfusionMatrix(p, counts, FashionNames, "linear eval"));
        using var png = Image.Load<Rgba32>(path);
        var (canvas, layout) = ConfusionPlot.Render(counts, FashionNames, "linear eval");
        Assert.That((png.Width, png.Height), Is.EqualTo((canvas.Width, canvas.Height)));
        Assert.That(layout.NameScale, Is.EqualTo(2));
        for (int r = 0; r < 10; r++)
        {
            long rowSum = Enumerable.Range(0, 10).Sum(c => counts[r, c]);
            foreach (int c in new[] { r, (r + 3) % 10 })
            {
                // A corner of the cell (the count is written in its middle).
                var at = png[layout.Matrix.Left + c * layout.Cell + 2, layout.Matrix.Top + r * layout.Cell + 2];
                var expected = ConfusionPlot.Colour(counts[r, c] / (double)rowSum);
                Assert.That(Distance(at, expected), Is.LessThan(3), $"cell [{r},{c}]");
            }
            var rowBand = new Rectangle(layout.RowNames.Left, layout.Matrix.Top + r * layout.Cell,
                layout.RowNames.Width, layout.Cell);
            var columnBand = new Rectangle(layout.Matrix.Left + r * layout.Cell, layout.ColumnNames.Top,
                layout.Cell, layout.ColumnNames.Height);
            Assert.That(CountInk(png, rowBand), Is.GreaterThan(40), $"name of row {r}");
            Assert.That(CountInk(png, columnBand), Is.GreaterThan(40), $"name of column {r}");
        }
        var empty = png[layout.Matrix.Left + 2 * layout.Cell + 2, layout.Matrix.Top + 9 * layout.Cell + 2];
        Assert.That(Distance(empty, new Rgba32(247, 251, 255)), Is.LessThan(3), "a zero cell is white");
        // The longest name is drawn whole: its row band holds as much ink as the string needs.
        Assert.That(CountInk(png, new Rectangle(layout.RowNames.Left, layout.Matrix.Top, layout.RowNames.Width,
            layout.Cell)), Is.EqualTo(InkOf("T-shirt/top", 2)));
    }

    [Test]
    public void AHundredClassMatrixFallsBackToIndexLabels()
    {
        var counts = new int[100, 100];
        for (int i = 0; i < 100; i++)
        {
            counts[i, i] = 5;
            counts[i, (i + 1) % 100] = 1;
        }
        var names = Enumerable.Range(0, 100).Select(i => $"class number {i}").ToList();
        string path = Save("confusion100.png", p => Plots.ConfusionMatrix(p, counts, names, "cifar-100"));
        using var png = Image.Load<Rgba32>(path);
        var (_, layout) = ConfusionPlot.Render(counts, names, "cifar-100");
        Assert.That(layout.NameScale, Is.Zero);
        Assert.That(layout.Cell, Is.EqualTo(6));
        Assert.That(png.Width, Is.LessThan(900));
    }

    [Test]
    public void NeighbourGridFramesSameGreenAndDifferentRed()
    {
        GridImage Gray(int seed) => new(Enumerable.Range(0, 28 * 28).Select(i => (byte)((i * 7 + seed * 31) % 256))
            .ToArray(), 28, 28, 1);
        GridImage Rgb(int seed) => new(Enumerable.Range(0, 28 * 28 * 3).Select(i => (byte)((i * 5 + seed) % 256))
            .ToArray(), 28, 28, 3);
        var rows = new[]
        {
            new NeighbourRow(Gray(0), "Sneaker",
                [new Neighbour(Gray(1), "Sneaker", true), new Neighbour(Rgb(2), "Sandal", false),
                 new Neighbour(Gray(3), "Sneaker", true)]),
            new NeighbourRow(Rgb(4), "Ankle boot",
                [new Neighbour(Rgb(5), "Bag", false), new Neighbour(Gray(6), "Ankle boot", true),
                 new Neighbour(Gray(7), "Ankle boot", true)]),
        };
        string path = Save("neighbours.png", p => Plots.NeighbourGrid(p, rows, "nearest neighbours (cosine)"));
        using var png = Image.Load<Rgba32>(path);
        var (_, layout) = NeighbourGridPlot.Render(rows, "nearest neighbours (cosine)");
        Assert.That(layout.Scale, Is.EqualTo(4));
        for (int r = 0; r < rows.Length; r++)
        {
            var q = layout.Origin(r, 0);
            Assert.That(png[q.X - 2, q.Y - 2], Is.EqualTo(NeighbourGridPlot.QueryFrame), $"query frame row {r}");
            for (int c = 0; c < 3; c++)
            {
                var o = layout.Origin(r, c + 1);
                var n = rows[r].Neighbours[c];
                Assert.That(png[o.X - 2, o.Y + 10],
                    Is.EqualTo(n.SameLabel ? NeighbourGridPlot.Same : NeighbourGridPlot.Different), $"frame {r},{c}");
                // Source pixel (row 5, column 9) lands in the middle of its 4x4 block.
                var at = png[o.X + 9 * 4 + 2, o.Y + 5 * 4 + 2];
                int i = (5 * 28 + 9) * n.Image.Channels;
                var src = n.Image.Channels == 1
                    ? new Rgba32(n.Image.Pixels[i], n.Image.Pixels[i], n.Image.Pixels[i])
                    : new Rgba32(n.Image.Pixels[i], n.Image.Pixels[i + 1], n.Image.Pixels[i + 2]);
                Assert.That(at, Is.EqualTo(src), $"pixel of neighbour {r},{c}");
            }
        }
    }

    [Test]
    public void TicksAreRoundNumbersInsideTheRange()
    {
        Assert.That(Chart.Ticks(0, 1, 6), Is.EqualTo(new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 }));
        Assert.That(Chart.Labels(Chart.Ticks(0, 1, 6)),
            Is.EqualTo(new[] { "0.0", "0.2", "0.4", "0.6", "0.8", "1.0" }));
        Assert.That(Chart.Ticks(10, 1000, 8), Is.EqualTo(new double[] { 200, 400, 600, 800, 1000 }));
        Assert.That(Chart.Labels(Chart.Ticks(-0.05, 0.051, 6)), Is.EqualTo(new[] { "-0.05", "0.00", "0.05" }));
    }

    [Test]
    public void FontDrawsEveryPrintableCharacterAndFallsBackToQuestionMark()
    {
        for (char ch = '!'; ch <= '~'; ch++)
        {
            Assert.That(InkOf(ch.ToString(), 1), Is.GreaterThan(0), $"glyph '{ch}'");
        }
        Assert.That(InkOf(" ", 1), Is.Zero);
        Assert.That(InkOf("é", 1), Is.EqualTo(InkOf("?", 1)));
        Assert.That(InkOf("8", 3), Is.EqualTo(9 * InkOf("8", 1)));
    }

    private string Save(string name, Action<string> draw)
    {
        string path = _dir.File(name);
        draw(path);
        string? keep = Environment.GetEnvironmentVariable("RELREASON_PLOT_DIR");
        if (!string.IsNullOrEmpty(keep))
        {
            Directory.CreateDirectory(keep);
            File.Copy(path, Path.Combine(keep, name), overwrite: true);
        }
        return path;
    }

    /// <summary>Pixels a string sets when drawn alone.</summary>
    private static int InkOf(string text, int scale)
    {
        int width = Math.Max(BitmapFont.Measure(text, scale), 1) + 2;
        var canvas = new Canvas(width, 12 * scale, new Rgba32(255, 255, 255));
        canvas.Text(1, 1, text, new Rgba32(0, 0, 0), scale);
        int count = 0;
        for (int y = 0; y < canvas.Height; y++)
        {
            for (int x = 0; x < canvas.Width; x++)
            {
                count += canvas[x, y].R == 0 ? 1 : 0;
            }
        }
        return count;
    }

    private static int CountInk(Image<Rgba32> png, Rectangle area)
    {
        int count = 0;
        for (int y = Math.Max(area.Top, 0); y < Math.Min(area.Bottom, png.Height); y++)
        {
            for (int x = Math.Max(area.Left, 0); x < Math.Min(area.Right, png.Width); x++)
            {
                count += png[x, y] == new Rgba32(33, 33, 33) ? 1 : 0;
            }
        }
        return count;
    }

    /// <summary>Some pixel within one pixel of (x, y) has nearly the line colour.</summary>
    private static void AssertNear(Image<Rgba32> png, (double X, double Y) at, Rgba32 colour, string what)
    {
        double best = double.MaxValue;
        for (int dy = -1; dy <= 1; dy++)
        {
            for (int dx = -1; dx <= 1; dx++)
            {
                best = Math.Min(best, Distance(png[(int)at.X + dx, (int)at.Y + dy], colour));
            }
        }
        Assert.That(best, Is.LessThan(12), $"{what} at pixel ({at.X:F1}, {at.Y:F1})");
    }

    private static double Distance(Rgba32 a, Rgba32 b) =>
        Math.Sqrt((a.R - b.R) * (a.R - b.R) + (a.G - b.G) * (a.G - b.G) + (a.B - b.B) * (a.B - b.B));
}
