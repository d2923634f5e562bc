using System.Text.Json.Serialization;

namespace RelReason.Training;

/// <summary>Source-generated JSON (trim- and AOT-safe) for the run configuration in config.json and
/// checkpoints.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(PretrainOptions))]
public sealed partial class TrainingJson : JsonSerializerContext;
