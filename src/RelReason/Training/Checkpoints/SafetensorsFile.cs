using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RelReason.Training.Checkpoints;

/// <summary>Where one tensor's bytes are: element type, shape, and [Begin, End) within the data section.</summary>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End)
{
    /// <summary>Elements (1 for a 0-d tensor).</summary>
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    /// <summary>The shape as "[a, b, c]" for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>A safetensors file does not have the layout the format requires; the message names the file.</summary>
public sealed class SafetensorsFormatException(string path, string problem, Exception? inner = null)
    : IOException($"{path}: {problem}", inner)
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>
/// An open safetensors file: the header is read and validated on <see cref="Open"/>; tensor values are read on
/// demand, straight from the file into the caller's buffer, so a large checkpoint is never held whole in memory.
/// Accepts F32 and I64 tensors. Validation: header length within the file and at most
/// <see cref="MaxHeaderBytes"/>; UTF-8 JSON object; every entry with a known dtype, non-negative shape and
/// data_offsets whose byte count matches dtype x shape; the entries tile the data section exactly (no overlap,
/// no gap, nothing past the end, nothing after the last tensor).
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Headers larger than this are refused as corrupt (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private readonly long _dataStart;

    private SafetensorsFile(string path, SafeFileHandle handle, SafetensorsHeader header, long dataStart)
    {
        Path = path;
        _handle = handle;
        _dataStart = dataStart;
        Names = header.Entries.Select(e => e.Name).ToArray();
        _entries = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        Metadata = header.Metadata;
    }

    /// <summary>The file this was opened from.</summary>
    public string Path { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The string metadata ("__metadata__"); empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The entry called <paramref name="name"/>; throws naming the file when it is absent.</summary>
    public SafetensorsEntry this[string name] =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor '{name}'");

    /// <summary>Whether the file has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The entry called <paramref name="name"/>, if the file has one.</summary>
    public bool TryGetEntry(string name, out SafetensorsEntry entry) => _entries.TryGetValue(name, out entry!);

    /// <summary>Opens <paramref name="path"/> and validates its header against the file's length.</summary>
    public static SafetensorsFile Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8)
            {
                throw new SafetensorsFormatException(full,
                    $"{fileLength} bytes; a safetensors file starts with an 8-byte header length");
            }
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(full, handle, prefix, 0);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderBytes)
            {
                throw new SafetensorsFormatException(full,
                    $"header length {headerLength} at byte 0 is absurd (limit {MaxHeaderBytes}): not a " +
                    "safetensors file, or a corrupt one");
            }
            if (headerLength > (ulong)(fileLength - 8))
            {
                throw new SafetensorsFormatException(full,
                    $"header length {headerLength} at byte 0 runs past the end of the {fileLength}-byte file " +
                    "(truncated, or not a safetensors file)");
            }
            var json = new byte[headerLength];
            ReadExactly(full, handle, json, 8);
            long dataStart = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(full, json, fileLength - dataStart);
            return new SafetensorsFile(full, handle, header, dataStart);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads a float32 tensor into <paramref name="destination"/> (length: its element count).</summary>
    public void ReadF32(string name, Span<float> destination)
    {
        var e = Expect(name, SafetensorsDType.F32, destination.Length);
        var bytes = MemoryMarshal.AsBytes(destination);
        ReadExactly(Path, _handle, bytes, _dataStart + e.Begin);
        if (!BitConverter.IsLittleEndian)
        {
            var raw = MemoryMarshal.Cast<float, int>(destination);
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
    }

    /// <summary>Reads a float32 tensor into a new array (row-major).</summary>
    public float[] ReadF32(string name)
    {
        var values = new float[CountAsInt(this[name])];
        ReadF32(name, values);
        return values;
    }

    /// <summary>Reads an int64 tensor into a new array (row-major; one element for a 0-d tensor).</summary>
    public long[] ReadI64(string name)
    {
        var e = this[name];
        var values = new long[CountAsInt(e)];
        Expect(name, SafetensorsDType.I64, values.Length);
        ReadExactly(Path, _handle, MemoryMarshal.AsBytes(values.AsSpan()), _dataStart + e.Begin);
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private SafetensorsEntry Expect(string name, SafetensorsDType dtype, long length)
    {
        var e = this[name];
        if (e.DType != dtype)
        {
            throw new InvalidDataException($"{Path}: tensor '{name}' is {e.DType}, read as {dtype}");
        }
        if (e.ElementCount != length)
        {
            throw new ArgumentException(
                $"{Path}: tensor '{name}' {e.ShapeText} has {e.ElementCount} elements, the buffer holds {length}");
        }
        return e;
    }

    private int CountAsInt(SafetensorsEntry e) =>
        e.ElementCount <= Array.MaxLength
            ? (int)e.ElementCount
            : throw new InvalidDataException(
                $"{Path}: tensor '{e.Name}' {e.ShapeText} has more elements than one array can hold");

    private static void ReadExactly(string path, SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(handle, destination, offset);
            if (n == 0)
            {
                throw new SafetensorsFormatException(path,
                    $"the file ended at byte {offset} while {destination.Length} more bytes were expected " +
                    "(it was truncated after it was opened?)");
            }
            destination = destination[n..];
            offset += n;
        }
    }
}
