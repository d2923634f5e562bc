using System.Text.Json;
using RelReason.Training.Checkpoints;

namespace RelReason.Training.Reporting;

/// <summary>
/// What a run folder says about its run, read from config.json, last.safetensors' metadata, metrics.jsonl and
/// evaluations.jsonl: how far it got, its last logged numbers and its latest evaluations. Missing pieces are null;
/// a file that cannot be read leaves its pieces null and names itself in <see cref="Problem"/>.
/// </summary>
/// <param name="Name">The folder's name.</param>
/// <param name="Path">The folder's full path.</param>
/// <param name="Options">The run's configuration.</param>
/// <param name="Epoch">Epochs done at the last checkpoint.</param>
/// <param name="Step">Steps done at the last checkpoint.</param>
/// <param name="Finished">Whether the last checkpoint is the end of the run (all epochs, or --max-steps).</param>
/// <param name="Loss">Mean loss of the last logging interval.</param>
/// <param name="PairAccuracy">Mean pair accuracy of the last logging interval.</param>
/// <param name="Knn">The latest k-NN top-1: of the knn command when it was run, else of the monitor.</param>
/// <param name="LinearEval">The latest linear-evaluation top-1 of the pretrained backbone.</param>
/// <param name="RandomInit">The latest linear-evaluation top-1 of a random-init backbone recorded here.</param>
public sealed record RunSummary(string Name, string Path, PretrainOptions? Options, int? Epoch, long? Step,
    bool Finished, double? Loss, double? PairAccuracy, double? Knn, double? LinearEval, double? RandomInit,
    string? Problem)
{
    /// <summary>The run folders directly under <paramref name="root"/> (those with a config.json), by name.</summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    public static IReadOnlyList<RunSummary> ReadAll(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{root}: no such folder of runs");
        }
        return Directory.GetDirectories(root)
            .Where(d => File.Exists(System.IO.Path.Combine(d, "config.json")))
            .OrderBy(d => d, StringComparer.Ordinal)
            .Select(Read)
            .ToList();
    }

    /// <summary>Reads one run folder.</summary>
    public static RunSummary Read(string folder)
    {
        var problems = new List<string>();
        T? Try<T>(string what, Func<T> read) where T : class
        {
            try
            {
                return read();
            }
            catch (Exception e) when (e is IOException or InvalidDataException or JsonException
                or CheckpointException or UnauthorizedAccessException)
            {
                problems.Add($"{what}: {e.Message}");
                return null;
            }
        }
        string configPath = System.IO.Path.Combine(folder, "config.json");
        var options = Try("config.json", () =>
            JsonSerializer.Deserialize(File.ReadAllBytes(configPath), TrainingJson.Default.PretrainOptions)
            ?? throw new InvalidDataException("holds null, not run options"));
        string last = System.IO.Path.Combine(folder, RunFolder.LastCheckpointName);
        var info = File.Exists(last) ? Try(RunFolder.LastCheckpointName, () => Checkpoint.ReadInfo(last)) : null;
        var metrics = Try(MetricsLog.FileName, () => MetricsLog.Read(System.IO.Path.Combine(folder,
            MetricsLog.FileName))) ?? [];
        var evaluations = Try(EvaluationLog.FileName, () => EvaluationLog.Read(folder)) ?? [];

        double? LastMetric(string key) =>
            metrics.LastOrDefault(m => double.IsFinite(m[key])) is { } record ? record[key] : null;
        double? LastEvaluation(string kind, bool randomInit) =>
            evaluations.LastOrDefault(e => e.Kind == kind && e.RandomInit == randomInit)?.Accuracy;
        bool finished = options != null && info != null &&
            (info.Epoch >= options.Epochs || (options.MaxSteps > 0 && info.Step >= options.MaxSteps));
        return new RunSummary(System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(folder)),
            System.IO.Path.GetFullPath(folder), options, info?.Epoch, info?.Step, finished, LastMetric("loss"),
            LastMetric("pair_accuracy"), LastEvaluation("knn", false) ?? LastMetric(Plots.KnnKey),
            LastEvaluation("linear-eval", false), LastEvaluation("linear-eval", true),
            problems.Count == 0 ? null : string.Join("; ", problems));
    }
}
