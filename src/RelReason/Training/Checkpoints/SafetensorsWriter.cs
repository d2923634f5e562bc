using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace RelReason.Training.Checkpoints;

/// <summary>
/// Writes the safetensors format: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}</c> padded
/// with spaces so the data starts on an 8-byte boundary, then the little-endian tensor bytes back to back
/// (offsets relative to the start of the data). Int64 tensors are placed before float32 ones so that every
/// tensor starts at a multiple of its element size; the header keeps the caller's order.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>The header key that holds the string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Creates or replaces <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) => Write(path, tensors, metadata, wrap: null);

    /// <summary>Writes the whole file to <paramref name="stream"/> from its current position.</summary>
    public static void Write(Stream stream, IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var layout = Layout(tensors);
        byte[] header = Header(tensors, layout, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        float[] scratch = [];
        foreach (int i in layout.DataOrder)
        {
            var t = tensors[i];
            if (t.DType == SafetensorsDType.I64)
            {
                WriteLittleEndian(stream, t.Longs);
                continue;
            }
            if (t.IsProduced && scratch.Length < t.ElementCount)
            {
                // One buffer sized for the largest produced tensor so far: host memory holds one tensor at a time.
                scratch = new float[t.ElementCount];
            }
            WriteLittleEndian(stream, t.Floats(scratch.AsSpan(0, t.IsProduced ? (int)t.ElementCount : 0)));
        }
    }

    internal static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata, Func<Stream, Stream>? wrap)
    {
        // Validate before touching the disk so that bad input never creates even a temporary file.
        Layout(tensors);
        AtomicFile.Write(path, s => Write(s, tensors, metadata), wrap);
    }

    private sealed record DataLayout(long[] Begin, int[] DataOrder);

    private static DataLayout Layout(IReadOnlyList<SafetensorsTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (t.Name == MetadataKey || !seen.Add(t.Name))
            {
                throw new ArgumentException(t.Name == MetadataKey
                    ? $"a tensor may not be called '{MetadataKey}'"
                    : $"tensor '{t.Name}' is given twice");
            }
        }
        var order = Enumerable.Range(0, tensors.Count)
            .OrderByDescending(i => SafetensorsTensor.SizeOf(tensors[i].DType))
            .ToArray();
        var begin = new long[tensors.Count];
        long offset = 0;
        foreach (int i in order)
        {
            begin[i] = offset;
            offset += tensors[i].ByteCount;
        }
        return new DataLayout(begin, order);
    }

    private static byte[] Header(IReadOnlyList<SafetensorsTensor> tensors, DataLayout layout,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.ToString());
                json.WriteStartArray("shape");
                foreach (int d in t.Shape)
                {
                    json.WriteNumberValue(d);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(layout.Begin[i]);
                json.WriteNumberValue(layout.Begin[i] + t.ByteCount);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = buffer.WrittenCount + (int)((8 - (8 + buffer.WrittenCount) % 8) % 8);
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> chunk = stackalloc byte[4096];
        for (int i = 0; i < values.Length; i += chunk.Length / 4)
        {
            int n = Math.Min(chunk.Length / 4, values.Length - i);
            for (int j = 0; j < n; j++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(chunk.Slice(4 * j), values[i + j]);
            }
            stream.Write(chunk[..(4 * n)]);
        }
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<long> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> chunk = stackalloc byte[8];
        foreach (long v in values)
        {
            BinaryPrimitives.WriteInt64LittleEndian(chunk, v);
            stream.Write(chunk);
        }
    }
}
