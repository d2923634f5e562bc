using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelReason.Training.Reporting;

/// <summary>
/// One downstream evaluation of a backbone (a line of evaluations.jsonl): what was evaluated, on what, how, and
/// the top-1 accuracy. Settings and extra scores are named numbers so that each kind keeps its own.
/// </summary>
public sealed record EvaluationRecord
{
    /// <summary>UTC time the evaluation finished, ISO 8601.</summary>
    public string Time { get; set; } = "";

    /// <summary>"linear-eval", "knn" or "finetune".</summary>
    public string Kind { get; set; } = "";

    /// <summary>The checkpoint file evaluated; empty for a randomly initialised backbone.</summary>
    public string Checkpoint { get; set; } = "";

    /// <summary>Pretraining steps of the checkpoint (0 for a random init).</summary>
    public long Step { get; set; }

    public bool RandomInit { get; set; }

    public string Dataset { get; set; } = "";

    /// <summary>The labelled split the classifier (or k-NN gallery) used.</summary>
    public string TrainSplit { get; set; } = "";

    /// <summary>The split that was scored.</summary>
    public string TestSplit { get; set; } = "";

    /// <summary>Top-1 accuracy in [0, 1].</summary>
    public double Accuracy { get; set; }

    /// <summary>How it was run: epochs, batch, lr, seed, k, label_fraction, ... (by kind).</summary>
    public Dictionary<string, double> Settings { get; set; } = [];

    /// <summary>Other scores: precision_at_k, map_at_k for k-NN.</summary>
    public Dictionary<string, double> Scores { get; set; } = [];
}

/// <summary>Source-generated JSON (trim- and AOT-safe) for evaluation records: one compact object a line.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(EvaluationRecord))]
public sealed partial class EvaluationJson : JsonSerializerContext;

/// <summary>
/// evaluations.jsonl in a run folder: every evaluation of the run's checkpoints, appended as it finishes. Each line
/// is written with one call and flushed at once, so a kill loses at most the line being written, and a torn last
/// line is skipped on reading, as in metrics.jsonl.
/// </summary>
public static class EvaluationLog
{
    public const string FileName = "evaluations.jsonl";

    /// <summary>Appends <paramref name="record"/> (its time set to now) to folder/evaluations.jsonl.</summary>
    /// <returns>The file's path.</returns>
    public static string Append(string folder, EvaluationRecord record)
    {
        string path = Path.Combine(folder, FileName);
        var stamped = record with
        {
            Time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(stamped, EvaluationJson.Default.EvaluationRecord);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        Directory.CreateDirectory(folder);
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(line);
        file.Flush(flushToDisk: false);
        return path;
    }

    /// <summary>
    /// Every complete record of folder/evaluations.jsonl, oldest first (none when the file is absent). A malformed
    /// complete line is an error naming the file and line number.
    /// </summary>
    public static IReadOnlyList<EvaluationRecord> Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return [];
        }
        byte[] bytes = File.ReadAllBytes(path);
        var records = new List<EvaluationRecord>();
        foreach (var (number, start, length) in MetricsLog.CompleteLines(bytes))
        {
            try
            {
                records.Add(JsonSerializer.Deserialize(bytes.AsSpan(start, length),
                    EvaluationJson.Default.EvaluationRecord) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: line {number} is not an evaluation record: {e.Message}", e);
            }
        }
        return records;
    }
}
