using System.Globalization;
using System.IO.MemoryMappedFiles;

namespace RelReason.Data.Readers;

/// <summary>
/// Opens STL-10's binary version (folder stl10_binary). *_X.bin is headerless uint8, 27,648 bytes per image:
/// the red, green and blue 96x96 planes in turn, each plane stored column-major (byte x*96+y is row y, column x).
/// *_y.bin has one byte per image, labels 1..10. Splits: "train" (5,000), "test" (8,000), "unlabeled" (100,000,
/// 2.7 GB, never read whole: every split is memory-mapped and converted one image at a time).
/// </summary>
public static class Stl10Reader
{
    /// <summary>Image side of every STL-10 image.</summary>
    public const int Side = 96;

    /// <summary>Bytes of one stored image.</summary>
    public const int RecordBytes = 3 * Side * Side;

    /// <summary>Opens "train", "test" or "unlabeled" from <paramref name="folder"/>; dispose it to unmap.</summary>
    public static Stl10Dataset Open(string folder, string split)
    {
        if (split != "train" && split != "test" && split != "unlabeled")
        {
            throw new ArgumentException($"STL-10 has splits 'train', 'test' and 'unlabeled', not '{split}'",
                nameof(split));
        }
        string images = Path.Combine(folder, split + "_X.bin");
        string? labels = split == "unlabeled" ? null : Path.Combine(folder, split + "_y.bin");
        return new Stl10Dataset(images, labels, "stl10/" + split);
    }

    /// <summary>
    /// Reads fold_indices.txt: one line per predefined fold, each a whitespace-separated list of 0-based indices
    /// into the train split. Every index must be in [0, <paramref name="trainCount"/>).
    /// </summary>
    public static int[][] ReadFoldIndices(string path, int trainCount)
    {
        var folds = new List<int[]>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var fold = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out fold[i])
                    || fold[i] >= trainCount)
                {
                    throw new DatasetFormatException(path, -1,
                        $"line {lineNumber}, item {i + 1}: '{parts[i]}' is not an index in 0..{trainCount - 1}");
                }
            }
            folds.Add(fold);
        }
        return folds.ToArray();
    }
}

/// <summary>
/// One memory-mapped STL-10 split. Images are transposed to HWC as they are read; the mapping stays open until
/// <see cref="Dispose"/>. Reads are thread-safe (the view is read-only).
/// </summary>
public sealed unsafe class Stl10Dataset : IImageDataset, IDisposable
{
    private const int Side = Stl10Reader.Side;
    private const int PlaneBytes = Side * Side;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly int[]? _labels;
    private byte* _base;

    internal Stl10Dataset(string imagesPath, string? labelsPath, string name)
    {
        var info = new FileInfo(imagesPath);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{name}: {imagesPath} does not exist", imagesPath);
        }
        long length = info.Length;
        if (length == 0 || length % Stl10Reader.RecordBytes != 0)
        {
            long whole = length / Stl10Reader.RecordBytes;
            throw new DatasetFormatException(imagesPath, whole * Stl10Reader.RecordBytes,
                $"file size {length} is not a whole, non-zero number of {Stl10Reader.RecordBytes}-byte images " +
                $"(3x96x96): image {whole} has only {length % Stl10Reader.RecordBytes} bytes");
        }
        Count = checked((int)(length / Stl10Reader.RecordBytes));
        Name = name;
        if (labelsPath is not null)
        {
            _labels = ReadLabels(labelsPath, Count, imagesPath);
        }

        _file = MemoryMappedFile.CreateFromFile(imagesPath, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += _view.PointerOffset;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int Height => Side;

    /// <inheritdoc />
    public int Width => Side;

    /// <inheritdoc />
    public int Channels => 3;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _labels is null ? [] : KnownClasses.Stl10;

    /// <inheritdoc />
    public bool HasLabels => _labels is not null;

    /// <inheritdoc />
    public void ReadImage(int index, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: image {index} of {Count}");
        }
        if (destination.Length < Stl10Reader.RecordBytes)
        {
            throw new ArgumentException(
                $"{Name}: destination holds {destination.Length} bytes, image needs {Stl10Reader.RecordBytes}");
        }
        var src = new ReadOnlySpan<byte>(_base + (long)index * Stl10Reader.RecordBytes, Stl10Reader.RecordBytes);
        // Walk the source in storage order (plane, column, row) and scatter into HWC.
        for (int c = 0; c < 3; c++)
        {
            var plane = src.Slice(c * PlaneBytes, PlaneBytes);
            for (int x = 0; x < Side; x++)
            {
                var column = plane.Slice(x * Side, Side);
                for (int y = 0; y < Side; y++)
                {
                    destination[(y * Side + x) * 3 + c] = column[y];
                }
            }
        }
    }

    /// <inheritdoc />
    public int GetLabel(int index)
    {
        if (_labels is null)
        {
            throw new InvalidOperationException($"{Name} has no labels");
        }
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: image {index} of {Count}");
        }
        return _labels[index];
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view.Dispose();
        _file.Dispose();
    }

    private static int[] ReadLabels(string path, int count, string imagesPath)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist (labels for {imagesPath})", path);
        }
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length != count)
        {
            throw new DatasetFormatException(path, Math.Min(raw.Length, count),
                $"holds {raw.Length} labels; expected one byte per image of {imagesPath} ({count})");
        }
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            // Stored 1..10; exposed 0..9.
            if (raw[i] < 1 || raw[i] > 10)
            {
                throw new DatasetFormatException(path, i,
                    $"label {raw[i]} of record {i} is out of range; expected 1..10");
            }
            labels[i] = raw[i] - 1;
        }
        return labels;
    }
}
