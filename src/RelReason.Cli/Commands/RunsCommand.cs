using System.Globalization;
using RelReason.Training.Reporting;

namespace RelReason.Cli.Commands;

/// <summary>
/// `relreason runs [FOLDER]`: one line per run folder: configuration, progress, last logged loss and pair
/// accuracy, and the latest k-NN and linear-evaluation accuracies recorded for it.
/// </summary>
internal static class RunsCommand
{
    internal static int Run(ArgReader args)
    {
        bool json = args.Flag("json", "print one JSON object as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason runs [FOLDER]: the runs in FOLDER (default: runs) and their results\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done(positionals: 1);
        string root = args.Positional.Count > 0 ? args.Positional[0] : "runs";
        var runs = RunSummary.ReadAll(root);
        if (runs.Count == 0)
        {
            Console.WriteLine($"no runs in {Path.GetFullPath(root)} (a run folder holds config.json)");
        }
        else
        {
            PrintTable(runs);
        }
        foreach (var r in runs.Where(r => r.Problem != null))
        {
            Console.Error.WriteLine($"relreason: {r.Name}: {r.Problem}");
        }
        if (json)
        {
            var rows = runs.Select(r => new RunRow(r.Name, r.Path, r.Options?.Dataset, r.Options?.Backbone,
                r.Options?.K, r.Options?.M, r.Epoch, r.Options?.Epochs, r.Step, r.Finished, r.Loss, r.PairAccuracy,
                r.Knn, r.LinearEval, r.RandomInit, r.Problem)).ToList();
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new RunsResult(Path.GetFullPath(root), rows),
                CliJson.Default.RunsResult));
        }
        return 0;
    }

    private static void PrintTable(IReadOnlyList<RunSummary> runs)
    {
        static string Percent(double? v) => v is { } x ? (100 * x).ToString("F2", CultureInfo.InvariantCulture) + "%"
            : "-";
        var header = new[]
        {
            "run", "dataset", "backbone", "K x M", "epochs", "steps", "loss", "pair acc", "k-NN", "linear",
            "random",
        };
        var rows = runs.Select(r => new[]
        {
            r.Name,
            r.Options?.Dataset ?? "?",
            r.Options?.Backbone ?? "?",
            r.Options is { } o ? $"{o.K} x {o.M}" : "?",
            r.Epoch is { } e ? $"{e}/{r.Options?.Epochs}" + (r.Finished ? "" : "+") : "-",
            r.Step?.ToString(CultureInfo.InvariantCulture) ?? "-",
            r.Loss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-",
            Percent(r.PairAccuracy),
            Percent(r.Knn),
            Percent(r.LinearEval),
            Percent(r.RandomInit),
        }).ToList();
        int[] widths = header.Select((h, i) => rows.Select(row => row[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) =>
            i < 5 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        Console.WriteLine(Line(header));
        foreach (var row in rows)
        {
            Console.WriteLine(Line(row));
        }
        if (runs.Any(r => r.Epoch != null && !r.Finished))
        {
            Console.WriteLine("+: not finished (still running, or stopped; relreason pretrain --resume continues it)");
        }
    }
}
