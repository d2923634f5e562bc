using System.Text.Json.Serialization;

namespace RelReason.Cli;

public sealed record BenchResult(string Backbone, long Parameters, int K, int M, int[] InputShape, string Device,
    int Threads, double MedianMs, double P90Ms, double ViewsPerSecond, long PeakTensorBytes, long PeakProcessBytes,
    string Backend);

/// <summary>Source-generated JSON for everything the CLI prints with --json (trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class CliJson : JsonSerializerContext;
