using System.Text.Json.Serialization;

namespace RelReason.Diagnostics;

/// <summary>
/// Source-generated JSON of the diagnostics reports (`relreason info --json`, `relreason selftest --json`): no
/// reflection, so it works in the NativeAOT binary. Property names are snake_case.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SystemReport))]
public sealed partial class DiagnosticsJson : JsonSerializerContext;
