using System.Buffers.Binary;
using System.IO.Compression;

namespace RelReason.Data.Readers;

/// <summary>The dimensions and payload of one IDX file (uint8 element type only).</summary>
/// <param name="Dims">Dimension sizes from the header, outermost first (e.g. [count, rows, cols]).</param>
/// <param name="Data">Row-major payload, the product of <paramref name="Dims"/> bytes.</param>
public sealed record IdxArray(int[] Dims, byte[] Data);

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST), plain or gzipped. Layout: two zero bytes, a type byte (0x08 = uint8),
/// a byte with the number of dimensions, one big-endian int32 per dimension, then the row-major payload.
/// Images have magic 2051 (3 dims: count, rows, cols); labels 2049 (1 dim: count).
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an image file: uint8, 3 dimensions.</summary>
    public const int ImagesMagic = 0x0803;

    /// <summary>Magic number of a label file: uint8, 1 dimension.</summary>
    public const int LabelsMagic = 0x0801;

    private const byte UInt8Type = 0x08;

    /// <summary>
    /// Reads an IDX file whose header must be the uint8 type with <paramref name="expectedDims"/> dimensions.
    /// Gzip is detected from the file's first two bytes, not its name. Offsets in errors are in the decompressed
    /// stream.
    /// </summary>
    /// <exception cref="DatasetFormatException">Wrong magic, truncated payload or bytes after it.</exception>
    public static IdxArray Read(string path, int expectedDims)
    {
        using var file = File.OpenRead(path);
        bool gz = IsGzip(file);
        using Stream input = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
        string where = gz ? path + " (decompressed)" : path;

        int[] dims = ReadHeader(input, where, expectedDims);
        long elements = 1;
        foreach (int d in dims)
        {
            elements *= d;
        }

        long headerBytes = 4 + 4L * expectedDims;
        var data = new byte[elements];
        int read = ReadFully(input, data, where);
        if (read < data.Length)
        {
            long recordBytes = expectedDims == 1 ? 1 : elements / Math.Max(1, dims[0]);
            throw new DatasetFormatException(where, headerBytes + read,
                $"file is truncated: header promises {dims[0]} record(s) of {recordBytes} byte(s) " +
                $"({elements} bytes after the {headerBytes}-byte header) but only {read} are present " +
                $"(record {read / recordBytes} is incomplete)");
        }
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(input, probe, where) != 0)
        {
            throw new DatasetFormatException(where, headerBytes + elements,
                $"unexpected bytes after the last of {dims[0]} records; expected the file to end here, " +
                "so its size is not the whole number of records the header declares");
        }
        return new IdxArray(dims, data);
    }

    /// <summary>
    /// Reads only the header of an IDX file: its dimension sizes (e.g. [count, rows, cols]). Cheap even for
    /// gzipped files, since only the first bytes are decompressed.
    /// </summary>
    public static int[] ReadDims(string path, int expectedDims)
    {
        using var file = File.OpenRead(path);
        bool gz = IsGzip(file);
        using Stream input = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
        return ReadHeader(input, gz ? path + " (decompressed)" : path, expectedDims);
    }

    /// <summary>Checks the magic number and reads the dimension sizes; leaves the stream at the payload.</summary>
    private static int[] ReadHeader(Stream input, string where, int expectedDims)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = ReadFully(input, magic, where);
        if (got < 4)
        {
            throw new DatasetFormatException(where, got, "file ends inside the 4-byte IDX magic number");
        }
        int expectedMagic = (UInt8Type << 8) | expectedDims;
        int actualMagic = BinaryPrimitives.ReadInt32BigEndian(magic);
        if (actualMagic != expectedMagic)
        {
            throw new DatasetFormatException(where, 0,
                $"IDX magic number is {actualMagic} (0x{actualMagic:X8}); expected {expectedMagic} " +
                $"(0x{expectedMagic:X8}: uint8 type byte 0x08 and {expectedDims} dimension(s))");
        }

        var dims = new int[expectedDims];
        Span<byte> word = stackalloc byte[4];
        long elements = 1;
        for (int d = 0; d < expectedDims; d++)
        {
            long at = 4 + 4L * d;
            if (ReadFully(input, word, where) < 4)
            {
                throw new DatasetFormatException(where, at, $"file ends inside the size of dimension {d}");
            }
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
            // The outermost dimension (the record count) may be 0; the shape of a record may not.
            if (dims[d] < (d == 0 ? 0 : 1))
            {
                throw new DatasetFormatException(where, at, $"dimension {d} has size {dims[d]}");
            }
            elements *= dims[d];
            if (elements > Array.MaxLength)
            {
                throw new DatasetFormatException(where, at,
                    $"dimensions {string.Join('x', dims[..(d + 1)])} exceed the largest supported array");
            }
        }
        return dims;
    }

    /// <summary>Reads an image file (magic 2051): returns count, rows, cols and count*rows*cols pixels.</summary>
    public static IdxArray ReadImages(string path) => Read(path, 3);

    /// <summary>
    /// Reads a label file (magic 2049) and checks every label is below <paramref name="classCount"/>.
    /// </summary>
    public static int[] ReadLabels(string path, int classCount)
    {
        var raw = Read(path, 1).Data;
        var labels = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] >= classCount)
            {
                throw new DatasetFormatException(path, 8 + i,
                    $"label {raw[i]} of record {i} is out of range; expected 0..{classCount - 1}");
            }
            labels[i] = raw[i];
        }
        return labels;
    }

    /// <summary>The IDX file-name prefix of a split: "train" for train, "t10k" for test.</summary>
    public static string SplitPrefix(string split) => split switch
    {
        "train" => "train",
        "test" => "t10k",
        _ => throw new ArgumentException($"IDX datasets have splits 'train' and 'test', not '{split}'",
            nameof(split)),
    };

    /// <summary>
    /// Finds <paramref name="stem"/> or <paramref name="stem"/>.gz in <paramref name="folder"/>, preferring the
    /// uncompressed file.
    /// </summary>
    public static string FindFile(string folder, string stem)
    {
        string plain = Path.Combine(folder, stem);
        if (File.Exists(plain))
        {
            return plain;
        }
        string gz = plain + ".gz";
        if (File.Exists(gz))
        {
            return gz;
        }
        throw new FileNotFoundException($"{folder}: neither {stem} nor {stem}.gz exists", plain);
    }

    /// <summary>
    /// Opens split "train" (train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz]) or "test" (t10k-*)
    /// from <paramref name="folder"/> as grayscale HxWx1 images.
    /// </summary>
    /// <param name="folder">Folder holding the four IDX files.</param>
    /// <param name="split">"train" or "test".</param>
    /// <param name="classNames">E.g. <see cref="KnownClasses.FashionMnist"/>; labels must be below its count.</param>
    /// <param name="name">Dataset name for messages; the split is appended.</param>
    public static InMemoryDataset OpenSplit(string folder, string split, IReadOnlyList<string> classNames,
        string name)
    {
        string prefix = SplitPrefix(split);
        string imagesPath = FindFile(folder, prefix + "-images-idx3-ubyte");
        string labelsPath = FindFile(folder, prefix + "-labels-idx1-ubyte");
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath, classNames.Count);
        if (labels.Length != images.Dims[0])
        {
            throw new DatasetFormatException(labelsPath, 4,
                $"holds {labels.Length} labels but {imagesPath} holds {images.Dims[0]} images; expected equal counts");
        }
        return new InMemoryDataset($"{name}/{split}", images.Dims[1], images.Dims[2], 1, images.Data, labels,
            classNames);
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int n = file.Read(head);
        file.Position = 0;
        return n == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    private static int ReadFully(Stream s, Span<byte> buffer, string where)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = s.Read(buffer[total..]);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            // A gzip stream cut short or corrupted surfaces here; report it against the file.
            throw new DatasetFormatException(where, -1, $"gzip stream is damaged or cut short: {e.Message}", e);
        }
        return total;
    }
}
