using RelReason.Backends;
using RelReason.Training;
using RelReason.Training.Reporting;

namespace RelReason.Cli.Commands;

/// <summary>
/// `relreason knn`: cosine nearest neighbours of frozen features (test queries against the train gallery): k-NN
/// accuracy, precision@k, mAP@k, and a PNG of queries with their nearest neighbours.
/// </summary>
internal static class KnnCommand
{
    internal static int Run(ArgReader args)
    {
        var source = BackboneSource.Read(args);
        int k = args.Int("k", 20, "neighbours per query", 1);
        int show = args.Int("show", 8, "queries drawn in the neighbour grid (0: none)", 0);
        bool json = args.Flag("json", "print one JSON object as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason knn: nearest-neighbour evaluation and retrieval on frozen features\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        source.Check();
        using var backend = BackendFactory.Create(source.Device, source.Threads, Console.Error.WriteLine);
        using var loaded = source.Load(backend);
        Console.WriteLine($"backbone: {loaded.Description}");
        var (gallery, queries) = loaded.Features(source.Threads);
        var r = NearestNeighbours.Evaluate(backend, gallery, queries, k);
        Console.WriteLine($"k-NN (k={k}, cosine, {queries.Count} queries, {gallery.Count} gallery): " +
            $"top-1 {100 * r.Accuracy:F2}% | precision@{k} {100 * r.PrecisionAtK:F2}% | mAP@{k} " +
            $"{100 * r.MeanAveragePrecisionAtK:F2}%");
        loaded.Record("knn", r.Accuracy, new() { ["k"] = k },
            new() { ["precision_at_k"] = r.PrecisionAtK, ["map_at_k"] = r.MeanAveragePrecisionAtK });
        if (show > 0 && loaded.PlotFolder != null)
        {
            string path = Path.Combine(loaded.PlotFolder, "knn-neighbours.png");
            Plots.NeighbourGrid(path, Rows(loaded, r, Math.Min(show, queries.Count), Math.Min(k, 8)),
                $"nearest neighbours (cosine), top-1 {100 * r.Accuracy:F1}%");
            Console.WriteLine($"wrote {path}");
        }
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new KnnResult(loaded.Description, k, r.Accuracy, r.PrecisionAtK, r.MeanAveragePrecisionAtK),
                CliJson.Default.KnnResult));
        }
        return 0;
    }

    /// <summary>Evenly spaced test queries, each with its first neighbours framed by label agreement.</summary>
    private static List<NeighbourRow> Rows(LoadedBackbone loaded, NeighbourReport r, int count, int perRow)
    {
        GridImage Image(Data.IImageDataset d, int i)
        {
            var bytes = new byte[d.ImageBytes];
            d.ReadImage(i, bytes);
            return new GridImage(bytes, d.Height, d.Width, d.Channels);
        }
        string Label(Data.IImageDataset d, int i) =>
            d.HasLabels && d.GetLabel(i) < d.ClassNames.Count ? d.ClassNames[d.GetLabel(i)] : "";
        var rows = new List<NeighbourRow>();
        for (int q = 0; q < count; q++)
        {
            int query = (int)((long)q * loaded.Test.Count / count);
            var neighbours = r.Neighbours[query].Take(perRow).Select(g => new Neighbour(Image(loaded.Train, g),
                Label(loaded.Train, g), loaded.Train.HasLabels && loaded.Test.HasLabels &&
                loaded.Train.GetLabel(g) == loaded.Test.GetLabel(query))).ToList();
            rows.Add(new NeighbourRow(Image(loaded.Test, query), Label(loaded.Test, query), neighbours));
        }
        return rows;
    }
}
