using System.Text.Json;
using System.Text.Unicode;

namespace RelReason.Training.Checkpoints;

/// <summary>The parsed and validated JSON header of a safetensors file.</summary>
internal sealed class SafetensorsHeader
{
    private SafetensorsHeader(List<SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Tensors in header order.</summary>
    public List<SafetensorsEntry> Entries { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>
    /// Parses <paramref name="json"/> (the header bytes after the length prefix) and checks every entry against
    /// <paramref name="dataLength"/>, the bytes that follow the header. Errors name <paramref name="path"/>.
    /// </summary>
    public static SafetensorsHeader Parse(string path, byte[] json, long dataLength)
    {
        if (!Utf8.IsValid(json))
        {
            throw new SafetensorsFormatException(path, "header (bytes 8..) is not valid UTF-8");
        }
        int first = Array.FindIndex(json, b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'));
        if (first < 0 || json[first] != (byte)'{')
        {
            throw new SafetensorsFormatException(path, "header at byte 8 is not a JSON object");
        }
        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            Expect(path, ref reader, JsonTokenType.StartObject, "the header object");
            var names = new HashSet<string>(StringComparer.Ordinal);
            while (Next(path, ref reader) != JsonTokenType.EndObject)
            {
                string name = reader.GetString()!;
                if (!names.Add(name))
                {
                    throw new SafetensorsFormatException(path, $"header names '{name}' twice");
                }
                if (name == SafetensorsWriter.MetadataKey)
                {
                    ReadMetadata(path, ref reader, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(path, ref reader, name));
                }
            }
            if (reader.Read())
            {
                throw new SafetensorsFormatException(path,
                    $"header has more JSON after its object (at header byte {reader.TokenStartIndex})");
            }
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(path,
                $"header is not valid JSON (line {e.LineNumber}, byte {e.BytePositionInLine}): {e.Message}", e);
        }
        CheckTiling(path, entries, dataLength);
        return new SafetensorsHeader(entries, metadata);
    }

    private static void ReadMetadata(string path, ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        Expect(path, ref reader, JsonTokenType.StartObject, "__metadata__ to be an object");
        while (Next(path, ref reader) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            Expect(path, ref reader, JsonTokenType.String, $"metadata '{key}' to be a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw new SafetensorsFormatException(path, $"metadata key '{key}' appears twice");
            }
        }
    }

    private static SafetensorsEntry ReadEntry(string path, ref Utf8JsonReader reader, string name)
    {
        Expect(path, ref reader, JsonTokenType.StartObject, $"tensor '{name}' to be an object");
        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (Next(path, ref reader) != JsonTokenType.EndObject)
        {
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    Expect(path, ref reader, JsonTokenType.String, $"tensor '{name}' dtype to be a string");
                    dtype = reader.GetString();
                    break;
                case "shape":
                    shape = ReadNumbers(path, ref reader, name, field, int.MaxValue);
                    break;
                case "data_offsets":
                    offsets = ReadNumbers(path, ref reader, name, field, long.MaxValue);
                    break;
                default:
                    throw new SafetensorsFormatException(path,
                        $"tensor '{name}' has a field '{field}'; expected dtype, shape and data_offsets");
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}' lacks dtype, shape or data_offsets");
        }
        if (offsets.Length != 2 || offsets[1] < offsets[0])
        {
            throw new SafetensorsFormatException(path,
                $"tensor '{name}' data_offsets [{string.Join(", ", offsets)}] must be [begin, end] with begin <= end");
        }
        var type = dtype switch
        {
            "F32" => SafetensorsDType.F32,
            "I64" => SafetensorsDType.I64,
            _ => throw new SafetensorsFormatException(path,
                $"tensor '{name}' has dtype '{dtype}'; only F32 and I64 are supported"),
        };
        var entry = new SafetensorsEntry(name, type, shape.Select(d => (int)d).ToArray(), offsets[0], offsets[1]);
        // Overflow-safe element count: the shape may be hostile.
        long count = 1;
        foreach (long d in shape)
        {
            count = d == 0 ? 0 : count > long.MaxValue / 8 / d ? long.MaxValue / 8 : count * d;
        }
        long bytes = count * SafetensorsTensor.SizeOf(type);
        if (offsets[1] - offsets[0] != bytes)
        {
            throw new SafetensorsFormatException(path,
                $"tensor '{name}' is {dtype} {entry.ShapeText} ({bytes} bytes) but data_offsets [{offsets[0]}, " +
                $"{offsets[1]}) span {offsets[1] - offsets[0]} bytes");
        }
        return entry;
    }

    private static long[] ReadNumbers(string path, ref Utf8JsonReader reader, string name, string field, long max)
    {
        Expect(path, ref reader, JsonTokenType.StartArray, $"tensor '{name}' {field} to be an array");
        var values = new List<long>();
        while (Next(path, ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long v) || v < 0 || v > max)
            {
                throw new SafetensorsFormatException(path,
                    $"tensor '{name}' {field} must hold integers in [0, {max}]");
            }
            values.Add(v);
        }
        return values.ToArray();
    }

    /// <summary>The entries must cover [0, dataLength) exactly, each byte once.</summary>
    private static void CheckTiling(string path, List<SafetensorsEntry> entries, long dataLength)
    {
        foreach (var e in entries)
        {
            if (e.End > dataLength)
            {
                throw new SafetensorsFormatException(path,
                    $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}) run past the {dataLength} data bytes " +
                    "(the file is truncated or the header is wrong)");
            }
        }
        SafetensorsEntry? previous = null;
        long covered = 0;
        foreach (var e in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (e.Begin < covered)
            {
                throw new SafetensorsFormatException(path,
                    $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{e.Name}' " +
                    $"[{e.Begin}, {e.End}) overlap");
            }
            if (e.Begin > covered)
            {
                throw new SafetensorsFormatException(path,
                    $"data bytes [{covered}, {e.Begin}) before tensor '{e.Name}' belong to no tensor");
            }
            covered = e.End;
            previous = e;
        }
        if (covered != dataLength)
        {
            throw new SafetensorsFormatException(path,
                $"{dataLength - covered} bytes after the last tensor (data ends at {covered}, file data has " +
                $"{dataLength} bytes)");
        }
    }

    private static JsonTokenType Next(string path, ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new SafetensorsFormatException(path, "header JSON ends early");
        }
        return reader.TokenType;
    }

    private static void Expect(string path, ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (Next(path, ref reader) != type)
        {
            throw new SafetensorsFormatException(path,
                $"header byte {reader.TokenStartIndex}: expected {what}, found {reader.TokenType}");
        }
    }
}
