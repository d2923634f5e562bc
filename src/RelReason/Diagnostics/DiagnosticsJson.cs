using System.Text.Json.Serialization;

namespace RelReason.Diagnostics;

/// <summary>
/// Source-generated JSON of the diagnostics reports (`relreason info --json`, `relreason selftest --json`): no
/// reflection, so it works in the NativeAOT binary. Property names are snake_case; errors that are not numbers
/// (NaN) are written as the string "NaN".
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(SystemReport))]
[JsonSerializable(typeof(SelfTestReport))]
public sealed partial class DiagnosticsJson : JsonSerializerContext;
