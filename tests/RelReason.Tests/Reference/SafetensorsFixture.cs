using System.Buffers.Binary;
using System.Text.Json;

namespace RelReason.Tests.Reference;

/// <summary>One float32 tensor of a fixture: its shape (empty for a 0-d tensor) and its row-major values.</summary>
public readonly record struct FixtureTensor(int[] Shape, float[] Data)
{
    /// <summary>Number of elements (1 for a 0-d tensor).</summary>
    public int Count => Data.Length;
}

/// <summary>
/// A PyTorch reference fixture (tests/reference/fixtures/*.safetensors, see tests/reference/README.md), read
/// whole into memory. Layout: u64 little-endian header length N, N bytes of JSON header
/// {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the little-endian data.
/// Only F32 tensors are accepted; every malformed input raises <see cref="InvalidDataException"/> naming the
/// file, the byte offset or tensor, and what was expected.
/// </summary>
public sealed class Fixture
{
    private readonly Dictionary<string, FixtureTensor> _tensors;

    private Fixture(string path, List<string> names, Dictionary<string, FixtureTensor> tensors,
        Dictionary<string, string> metadata)
    {
        Path = path;
        Names = names;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file this fixture was read from.</summary>
    public string Path { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The "__metadata__" entries (all values are strings).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The folder the test project copies the fixtures to.</summary>
    public static string Folder => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures");

    /// <summary>The tensor called <paramref name="name"/>; throws naming the file when it is absent.</summary>
    public FixtureTensor this[string name] =>
        _tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Whether a tensor called <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The metadata value for <paramref name="key"/>; throws naming the file when it is absent.</summary>
    public string Meta(string key) =>
        Metadata.TryGetValue(key, out var value)
            ? value
            : throw new KeyNotFoundException($"{Path}: no metadata entry '{key}'");

    /// <summary>The metadata value for <paramref name="key"/> parsed as an integer.</summary>
    public int MetaInt(string key)
    {
        string text = Meta(key);
        return int.TryParse(text, System.Globalization.NumberStyles.Integer,
            System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidDataException($"{Path}: metadata '{key}' is '{text}', expected an integer");
    }

    /// <summary>Loads fixtures/<paramref name="name"/>.safetensors from the test output folder.</summary>
    public static Fixture LoadNamed(string name) => Load(System.IO.Path.Combine(Folder, name + ".safetensors"));

    /// <summary>Reads and validates a whole fixture file.</summary>
    public static Fixture Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8)
        {
            throw new InvalidDataException(
                $"{path}: {bytes.Length} bytes, expected at least the 8-byte header length at offset 0");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException(
                $"{path}: header length {headerLength} at offset 0 runs past the end of the {bytes.Length}-byte file");
        }
        int dataStart = 8 + (int)headerLength;
        var header = ParseHeader(path, bytes.AsSpan(8, (int)headerLength));
        return Build(path, header, bytes.AsSpan(dataStart), dataStart);
    }

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    private sealed record Header(List<Entry> Entries, Dictionary<string, string> Metadata);

    private static Header ParseHeader(string path, ReadOnlySpan<byte> json)
    {
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            Expect(path, ref reader, JsonTokenType.StartObject, "the header object");
            while (Next(path, ref reader) != JsonTokenType.EndObject)
            {
                string name = reader.GetString()!;
                long at = 8 + reader.TokenStartIndex;
                if (name == "__metadata__")
                {
                    ReadMetadata(path, ref reader, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(path, ref reader, name, at));
                }
            }
            if (reader.Read())
            {
                throw Bad(path, 8 + reader.TokenStartIndex, "the end of the header after its object");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path}: header is not valid JSON near byte {8 + e.BytePositionInLine}: {e.Message}", e);
        }
        return new Header(entries, metadata);
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
                throw Bad(path, 8 + reader.TokenStartIndex, $"metadata key '{key}' once only");
            }
        }
    }

    private static Entry ReadEntry(string path, ref Utf8JsonReader reader, string name, long at)
    {
        Expect(path, ref reader, JsonTokenType.StartObject, $"tensor '{name}' to be an object");
        string? dtype = null;
        int[]? shape = null;
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
                    shape = ToDims(path, name, at, ReadIntArray(path, ref reader, name, field));
                    break;
                case "data_offsets":
                    offsets = ReadIntArray(path, ref reader, name, field);
                    break;
                default:
                    throw Bad(path, 8 + reader.TokenStartIndex,
                        $"tensor '{name}' fields dtype, shape, data_offsets, not '{field}'");
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            throw Bad(path, at, $"tensor '{name}' to have dtype, shape and data_offsets");
        }
        if (offsets.Length != 2)
        {
            throw Bad(path, at, $"tensor '{name}' data_offsets to be [begin, end], got {offsets.Length} numbers");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntArray(string path, ref Utf8JsonReader reader, string name, string field)
    {
        Expect(path, ref reader, JsonTokenType.StartArray, $"tensor '{name}' {field} to be an array");
        var values = new List<long>();
        while (Next(path, ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long v) || v < 0
                || v > int.MaxValue * 4L)
            {
                throw Bad(path, 8 + reader.TokenStartIndex,
                    $"tensor '{name}' {field} to hold non-negative integers");
            }
            values.Add(v);
        }
        return values.ToArray();
    }

    private static int[] ToDims(string path, string name, long at, long[] values)
    {
        // A fixture tensor must fit one float[]: cap the element count, not only each dim.
        long count = 1;
        foreach (long d in values)
        {
            count = d > int.MaxValue ? long.MaxValue : count * d;
            if (count > Array.MaxLength)
            {
                throw Bad(path, at, $"tensor '{name}' shape to hold at most {Array.MaxLength} elements");
            }
        }
        return values.Select(d => (int)d).ToArray();
    }

    private static Fixture Build(string path, Header header, ReadOnlySpan<byte> data, int dataStart)
    {
        var tensors = new Dictionary<string, FixtureTensor>(StringComparer.Ordinal);
        var names = new List<string>();
        // safetensors requires the tensors to tile the data area exactly: sort by offset and check for holes.
        long covered = 0;
        foreach (var e in header.Entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.DType != "F32")
            {
                throw new InvalidDataException($"{path}: tensor '{e.Name}' has dtype {e.DType}, expected F32");
            }
            long count = 1;
            foreach (int d in e.Shape)
            {
                count *= d;
            }
            if (e.End - e.Begin != 4 * count || e.End > data.Length || e.Begin != covered)
            {
                throw new InvalidDataException(
                    $"{path}: tensor '{e.Name}' data_offsets [{e.Begin},{e.End}) (file bytes " +
                    $"{dataStart + e.Begin}..{dataStart + e.End}) expected [{covered},{covered + 4 * count}) " +
                    $"for shape {Format(e.Shape)} within {data.Length} data bytes");
            }
            covered = e.End;
            var values = new float[count];
            var src = data.Slice((int)e.Begin, (int)(4 * count));
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(4 * i, 4));
            }
            if (!tensors.TryAdd(e.Name, new FixtureTensor(e.Shape, values)))
            {
                throw new InvalidDataException($"{path}: tensor '{e.Name}' appears twice in the header");
            }
        }
        if (covered != data.Length)
        {
            throw new InvalidDataException(
                $"{path}: tensors cover {covered} of the {data.Length} data bytes starting at offset {dataStart}");
        }
        foreach (var e in header.Entries)
        {
            names.Add(e.Name);
        }
        return new Fixture(path, names, tensors, header.Metadata);
    }

    private static JsonTokenType Next(string path, ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw Bad(path, 8 + reader.BytesConsumed, "more header JSON, found its end");
        }
        return reader.TokenType;
    }

    private static void Expect(string path, ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (Next(path, ref reader) != type)
        {
            throw Bad(path, 8 + reader.TokenStartIndex, $"{what} ({type}), found {reader.TokenType}");
        }
    }

    private static InvalidDataException Bad(string path, long offset, string expected) =>
        new($"{path}: header byte {offset}: expected {expected}");

    /// <summary>Shape formatted as [a,b,c] for messages.</summary>
    public static string Format(int[] shape) => "[" + string.Join(",", shape) + "]";
}
