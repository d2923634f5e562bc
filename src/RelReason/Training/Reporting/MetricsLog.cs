using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace RelReason.Training.Reporting;

/// <summary>
/// One line of metrics.jsonl: the optimiser step it was logged at and named numbers ("loss", "pair_accuracy",
/// "epoch", "lr", ...). Non-finite numbers are stored as JSON null and read back as NaN.
/// </summary>
public sealed record MetricsRecord(long Step, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>The value called <paramref name="name"/>, or NaN when the line does not have it.</summary>
    public double this[string name] => Values.TryGetValue(name, out double v) ? v : double.NaN;
}

/// <summary>
/// metrics.jsonl: one JSON object per logging step, <c>{"step": 12, "time": "2026-...Z", "loss": 0.69, ...}</c>.
/// Every line is written with one call and flushed to the operating system at once, so killing the process loses
/// at most the line being written; a torn last line is skipped on reading.
/// </summary>
public static class MetricsLog
{
    /// <summary>The file name inside a run folder.</summary>
    public const string FileName = "metrics.jsonl";

    /// <summary>Formats one line (with its trailing newline) as UTF-8.</summary>
    public static byte[] Format(long step, DateTimeOffset time, IEnumerable<(string Name, double Value)> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WriteString("time",
                time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            foreach (var (name, value) in values)
            {
                if (name is "step" or "time")
                {
                    throw new ArgumentException($"metrics: '{name}' is written by the log itself");
                }
                if (double.IsFinite(value))
                {
                    json.WriteNumber(name, value);
                }
                else
                {
                    json.WriteNull(name);
                }
            }
            json.WriteEndObject();
        }
        var line = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>
    /// Reads every complete line of <paramref name="path"/> (an absent file has none). A last line without its
    /// newline (the process was killed while writing it) is skipped; a malformed complete line is an error naming
    /// the file and line number.
    /// </summary>
    public static IReadOnlyList<MetricsRecord> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        byte[] bytes = File.ReadAllBytes(path);
        return CompleteLines(bytes).Select(l => Parse(path, l.Number, bytes.AsSpan(l.Start, l.Length))).ToList();
    }

    /// <summary>The complete lines of <paramref name="path"/> with step &lt;= <paramref name="lastStep"/>.</summary>
    internal static byte[] KeepUpTo(string path, long lastStep)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var kept = new MemoryStream();
        foreach (var (number, start, length) in CompleteLines(bytes))
        {
            if (Parse(path, number, bytes.AsSpan(start, length)).Step <= lastStep)
            {
                kept.Write(bytes, start, length);
                kept.WriteByte((byte)'\n');
            }
        }
        return kept.ToArray();
    }

    /// <summary>Non-blank lines that end in a newline, with 1-based line numbers (CR of CRLF excluded).</summary>
    internal static IEnumerable<(int Number, int Start, int Length)> CompleteLines(byte[] bytes)
    {
        int start = 0;
        for (int number = 1; start < bytes.Length; number++)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                yield break;
            }
            int length = end > start && bytes[end - 1] == (byte)'\r' ? end - start - 1 : end - start;
            if (bytes.AsSpan(start, length).IndexOfAnyExcept((byte)' ', (byte)'\t') >= 0)
            {
                yield return (number, start, length);
            }
            start = end + 1;
        }
    }

    private static MetricsRecord Parse(string path, int lineNumber, ReadOnlySpan<byte> line)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        long? step = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Bad(path, lineNumber, "is not a JSON object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.Number when name == "step":
                        step = reader.TryGetInt64(out long s)
                            ? s
                            : throw Bad(path, lineNumber, "has a non-integer step");
                        break;
                    case JsonTokenType.Number:
                        values[name] = reader.GetDouble();
                        break;
                    case JsonTokenType.Null:
                        values[name] = double.NaN;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw Bad(path, lineNumber, $"is not valid JSON: {e.Message}");
        }
        return step is { } value
            ? new MetricsRecord(value, values)
            : throw Bad(path, lineNumber, "has no integer \"step\"");
    }

    private static InvalidDataException Bad(string path, int line, string problem) =>
        new($"{path}: line {line} {problem}");
}
