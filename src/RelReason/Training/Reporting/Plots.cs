using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Training.Reporting;

/// <summary>
/// The PNG figures of a run, drawn without any system font or native library (ImageSharp and a built-in bitmap
/// font), each written atomically to the given path.
/// </summary>
public static class Plots
{
    private static readonly Rgba32 White = new(255, 255, 255);

    /// <summary>The metrics key of the k-NN monitor's readings.</summary>
    public const string KnnKey = "knn_top1";

    /// <summary>
    /// Two panels, one above the other: <paramref name="lossKey"/> and <paramref name="accuracyKey"/> per step,
    /// from the metrics lines that have them (NaN values leave gaps), under <paramref name="title"/>. k-NN readings
    /// ("knn_top1" lines) join the accuracy panel as markers. 1000 x 860 pixels.
    /// </summary>
    public static void TrainingCurves(string path, IReadOnlyList<MetricsRecord> metrics, string title,
        string lossKey = "loss", string accuracyKey = "pair_accuracy") =>
        RenderTrainingCurves(metrics, title, lossKey, accuracyKey).Canvas.SavePng(path);

    /// <summary>A line chart of series against one x axis; a null <paramref name="yRange"/> fits the data.</summary>
    public static void LineChart(string path, string title, string xLabel, string yLabel,
        IReadOnlyList<PlotSeries> series, (double Min, double Max)? yRange = null, int width = 900,
        int height = 560) =>
        RenderLineChart(title, xLabel, yLabel, series, yRange, width, height).Canvas.SavePng(path);

    /// <summary>
    /// Accuracy per epoch (e.g. linear evaluation's train and test accuracy), values in percent, one marker per
    /// epoch. 900 x 560 pixels.
    /// </summary>
    public static void AccuracyPerEpoch(string path, string title, IReadOnlyList<PlotSeries> series) =>
        LineChart(path, title, "epoch", "accuracy (%)", series.Select(s => s with { Markers = true }).ToList());

    /// <summary>
    /// Confusion matrix heat map: <paramref name="counts"/>[true, predicted], one name per class; the title gets
    /// the overall accuracy appended.
    /// </summary>
    public static void ConfusionMatrix(string path, int[,] counts, IReadOnlyList<string> classNames, string title) =>
        ConfusionPlot.Render(counts, classNames, title).Canvas.SavePng(path);

    /// <summary>Query images with their nearest neighbours, framed green (same label) or red (different).</summary>
    public static void NeighbourGrid(string path, IReadOnlyList<NeighbourRow> rows, string title) =>
        NeighbourGridPlot.Render(rows, title).Canvas.SavePng(path);

    internal static (Canvas Canvas, Chart Loss, Chart Accuracy) RenderTrainingCurves(
        IReadOnlyList<MetricsRecord> metrics, string title, string lossKey, string accuracyKey)
    {
        PlotSeries Series(string key) => new(key,
            metrics.Where(m => m.Values.ContainsKey(key)).Select(m => (double)m.Step).ToList(),
            metrics.Where(m => m.Values.ContainsKey(key)).Select(m => m[key]).ToList());
        var canvas = new Canvas(1000, 860, White);
        canvas.Text(500, 14, title, Chart.Ink, 3, Align.Center, bold: true);
        string lossName = lossKey.Replace('_', ' '), accuracyName = accuracyKey.Replace('_', ' ');
        var loss = new Chart
        {
            Title = lossName + " per step", XLabel = "step", YLabel = lossName, Series = [Series(lossKey)],
        };
        loss.Draw(canvas, new Rectangle(0, 48, 1000, 406));
        var knn = Series(KnnKey) with { Name = "k-NN top-1", Markers = true };
        var accuracy = knn.X.Count == 0
            ? new Chart
            {
                Title = accuracyName + " per step", XLabel = "step", YLabel = accuracyName,
                Series = [Series(accuracyKey)],
            }
            : new Chart
            {
                Title = accuracyName + " and k-NN top-1", XLabel = "step", YLabel = "accuracy",
                Series = [Series(accuracyKey) with { Name = accuracyName }, knn],
            };
        accuracy.Draw(canvas, new Rectangle(0, 454, 1000, 406));
        return (canvas, loss, accuracy);
    }

    internal static (Canvas Canvas, Chart Chart) RenderLineChart(string title, string xLabel, string yLabel,
        IReadOnlyList<PlotSeries> series, (double Min, double Max)? yRange, int width, int height)
    {
        if (series.Count == 0 || series.Any(s => s.X.Count != s.Y.Count))
        {
            throw new ArgumentException($"chart '{title}': needs at least one series, each with as many x as y");
        }
        var canvas = new Canvas(width, height, White);
        var chart = new Chart { Title = title, XLabel = xLabel, YLabel = yLabel, Series = series, YRange = yRange };
        chart.Draw(canvas, new Rectangle(0, 0, width, height));
        return (canvas, chart);
    }
}
