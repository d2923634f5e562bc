using RelReason.Training;

namespace RelReason.Cli;

/// <summary>Printing (and plotting) what the evaluation commands measured.</summary>
internal static class Reports
{
    /// <summary>
    /// A float as the double with its shortest decimal form (1e-3f becomes 0.001, not 0.0010000000474974513), for
    /// JSON records that people read.
    /// </summary>
    internal static double Shortest(float value) =>
        double.Parse(value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            System.Globalization.CultureInfo.InvariantCulture);

    internal static void PrintClassification(ClassificationReport r)
    {
        Console.WriteLine($"top-1 accuracy: {100 * r.Accuracy:F2}%");
        int k = r.PerClassAccuracy.Length;
        int w = Math.Max(8, r.Classes.Take(k).DefaultIfEmpty("").Max(c => c.Length));
        Console.WriteLine("per class:");
        for (int i = 0; i < k; i++)
        {
            string name = i < r.Classes.Count ? r.Classes[i] : i.ToString();
            Console.WriteLine($"  {name.PadRight(w)} {100 * r.PerClassAccuracy[i],6:F2}%");
        }
        Console.WriteLine("confusion (rows: true class, columns: predicted):");
        for (int i = 0; i < k; i++)
        {
            var cells = Enumerable.Range(0, k).Select(j => r.Confusion[i, j].ToString().PadLeft(5));
            Console.WriteLine($"  {i,3} |{string.Concat(cells)}");
        }
    }

    /// <summary>The confusion matrix and accuracy per epoch as &lt;name&gt;-confusion.png and
    /// &lt;name&gt;-accuracy.png.</summary>
    internal static void WriteClassificationPlots(ClassificationReport r, string folder, string name)
    {
        Directory.CreateDirectory(folder);
        string confusion = Path.Combine(folder, $"{name}-confusion.png");
        Training.Reporting.Plots.ConfusionMatrix(confusion, r.Confusion, r.Classes,
            $"{name}: top-1 {100 * r.Accuracy:F2}%");
        Console.WriteLine($"wrote {confusion}");
        if (r.TestAccuracyByEpoch.Count > 1)
        {
            int every = Math.Max(1, r.TrainLossByEpoch.Count / Math.Max(1, r.TestAccuracyByEpoch.Count));
            var x = Enumerable.Range(1, r.TestAccuracyByEpoch.Count).Select(i => (double)(i * every)).ToList();
            string accuracy = Path.Combine(folder, $"{name}-accuracy.png");
            Training.Reporting.Plots.AccuracyPerEpoch(accuracy, $"{name}: test accuracy per epoch",
                [new Training.Reporting.PlotSeries("test top-1", x, r.TestAccuracyByEpoch.ToList())]);
            Console.WriteLine($"wrote {accuracy}");
        }
    }

    internal static ClassificationResult ToJson(ClassificationReport r, string backbone) => new(backbone, r.Accuracy,
        r.Classes.Take(r.PerClassAccuracy.Length).Zip(r.PerClassAccuracy)
            .ToDictionary(p => p.First, p => double.IsNaN(p.Second) ? null : (double?)p.Second),
        Enumerable.Range(0, r.Confusion.GetLength(0))
            .Select(i => Enumerable.Range(0, r.Confusion.GetLength(1)).Select(j => r.Confusion[i, j]).ToArray())
            .ToArray());
}
