using System.Text.Json.Serialization;

namespace RelReason.Cli;

/// <summary>One `relreason bench` run. Times exclude warm-up steps and the backend's start-up.</summary>
/// <param name="PeakTensorBytes">High-water mark of backend memory in use during the timed steps (on the GPU,
/// the pool's blocks in use; not its cache).</param>
/// <param name="Timing">"cuda events" (GPU stream time) or "stopwatch".</param>
/// <param name="StartupMs">Opening the backend: context, libraries and <paramref name="ModuleLoadMs"/>.</param>
/// <param name="ModuleLoadMs">Loading (JIT-compiling) the PTX modules; 0 on the CPU.</param>
/// <param name="AugmentMedianMs">The augmentation op alone for K*M views (0 when not measured).</param>
/// <param name="AugmentViewsPerSecond">Views per second of the augmentation op alone.</param>
/// <param name="DeviceUsedBytes">GPU memory in use by all clients after the run (cuMemGetInfo); 0 on the CPU.</param>
public sealed record BenchResult(string Backbone, long Parameters, int K, int M, int[] InputShape, string Device,
    int Threads, double MedianMs, double P90Ms, double ViewsPerSecond, long PeakTensorBytes, long PeakProcessBytes,
    string Backend, string Timing, double StartupMs, double ModuleLoadMs, double AugmentMedianMs,
    double AugmentViewsPerSecond, long DeviceUsedBytes);

/// <summary>
/// `pretrain --json`. FinalLoss and PairAccuracy are the means of the last logging interval (null when the run
/// never logged, which JSON cannot write as NaN); KnnAccuracy is the last k-NN top-1 of --knn-every (null without).
/// </summary>
public sealed record PretrainResult(string RunFolder, long Steps, double? FinalLoss, double? PairAccuracy,
    double? KnnAccuracy, string Checkpoint, double? LinearEvalAccuracy, double? RandomInitAccuracy);

/// <summary>
/// linear-eval and finetune --json. A class without test images has no accuracy: null (JSON has no NaN).
/// </summary>
public sealed record ClassificationResult(string Backbone, double Accuracy,
    IReadOnlyDictionary<string, double?> PerClassAccuracy, int[][] Confusion);

public sealed record KnnResult(string Backbone, int K, double Accuracy, double PrecisionAtK,
    double MeanAveragePrecisionAtK);

/// <summary>`runs --json`: one row per run folder; what a folder does not say is null.</summary>
public sealed record RunsResult(string Folder, IReadOnlyList<RunRow> Runs);

public sealed record RunRow(string Name, string Path, string? Dataset, string? Backbone, int? K, int? M,
    int? EpochsDone, int? Epochs, long? Steps, bool Finished, double? Loss, double? PairAccuracy, double? KnnAccuracy,
    double? LinearEvalAccuracy, double? RandomInitAccuracy, string? Problem);

public sealed record EmbedResult(string File, int Count, int Dimension, string Dataset);

/// <summary>Source-generated JSON for everything the CLI prints with --json (trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RunsResult))]
[JsonSerializable(typeof(BenchResult))]
[JsonSerializable(typeof(PretrainResult))]
[JsonSerializable(typeof(ClassificationResult))]
[JsonSerializable(typeof(KnnResult))]
[JsonSerializable(typeof(EmbedResult))]
internal sealed partial class CliJson : JsonSerializerContext;
