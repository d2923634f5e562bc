using System.Buffers.Binary;
using System.IO.Compression;

namespace RelReason.Tests.Data;

/// <summary>Writes IDX files for tests, straight from the format description (big-endian header).</summary>
internal static class IdxWriter
{
    public static byte[] Encode(int magic, int[] dims, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        }
        data.CopyTo(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    public static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    public static void WriteImages(string path, int count, int rows, int cols, byte[] pixels, bool gzip) =>
        Write(path, Encode(0x0803, [count, rows, cols], pixels), gzip);

    public static void WriteLabels(string path, byte[] labels, bool gzip) =>
        Write(path, Encode(0x0801, [labels.Length], labels), gzip);
}
