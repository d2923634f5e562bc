namespace RelReason.Data.Readers;

/// <summary>Which CIFAR label a split exposes.</summary>
public enum CifarLabels
{
    /// <summary>CIFAR-10's single label byte (10 classes).</summary>
    Cifar10,

    /// <summary>CIFAR-100's fine label (100 classes, the record's second byte).</summary>
    Fine,

    /// <summary>CIFAR-100's coarse superclass (20 classes, the record's first byte): CIFAR-100-20.</summary>
    Coarse,
}

/// <summary>
/// Reads the CIFAR binary versions. A record is the label byte(s) then 3,072 pixel bytes: the 32x32 red plane,
/// then green, then blue, each plane row-major. CIFAR-10 records have 1 label byte (3,073 bytes in all);
/// CIFAR-100 records have the coarse then the fine label byte (3,074). Files have no header.
/// The whole split is converted to HWC at open (50,000 images = 154 MB).
/// </summary>
public static class CifarReader
{
    /// <summary>Image side of every CIFAR image.</summary>
    public const int Side = 32;

    private const int PlaneBytes = Side * Side;
    private const int PixelBytes = 3 * PlaneBytes;

    /// <summary>
    /// Opens CIFAR-10 from the folder cifar-10-batches-bin: "train" is data_batch_1..5.bin (in that order),
    /// "test" is test_batch.bin.
    /// </summary>
    public static InMemoryDataset OpenCifar10(string folder, string split) =>
        Read(SplitFiles(folder, split, CifarLabels.Cifar10), CifarLabels.Cifar10, $"cifar10/{split}");

    /// <summary>The record files of a split, in reading order.</summary>
    public static string[] SplitFiles(string folder, string split, CifarLabels labels)
    {
        if (split != "train" && split != "test")
        {
            throw new ArgumentException($"CIFAR has splits 'train' and 'test', not '{split}'", nameof(split));
        }
        if (labels != CifarLabels.Cifar10)
        {
            return [Path.Combine(folder, split + ".bin")];
        }
        return split == "train"
            ? Enumerable.Range(1, 5).Select(i => Path.Combine(folder, $"data_batch_{i}.bin")).ToArray()
            : [Path.Combine(folder, "test_batch.bin")];
    }

    /// <summary>Bytes of one record: label byte(s) and 3,072 pixel bytes.</summary>
    public static int RecordBytes(CifarLabels labels) => (labels == CifarLabels.Cifar10 ? 1 : 2) + PixelBytes;

    /// <summary>
    /// Opens CIFAR-100 from the folder cifar-100-binary: "train" is train.bin, "test" is test.bin, labelled with
    /// the fine classes or (<see cref="CifarLabels.Coarse"/>) the 20 superclasses.
    /// </summary>
    public static InMemoryDataset OpenCifar100(string folder, string split, CifarLabels labels)
    {
        if (labels == CifarLabels.Cifar10)
        {
            throw new ArgumentException("CIFAR-100 labels are Fine or Coarse", nameof(labels));
        }
        string name = labels == CifarLabels.Coarse ? "cifar100-20" : "cifar100";
        return Read(SplitFiles(folder, split, labels), labels, $"{name}/{split}");
    }

    /// <summary>
    /// Reads CIFAR record files into one HWC split. Each file must be a whole number of records, and every label
    /// byte must be below its class count.
    /// </summary>
    public static InMemoryDataset Read(IReadOnlyList<string> files, CifarLabels labels, string name)
    {
        int labelBytes = labels == CifarLabels.Cifar10 ? 1 : 2;
        // CIFAR-100 stores coarse first, then fine.
        int labelAt = labels == CifarLabels.Fine ? 1 : 0;
        int classCount = labels switch
        {
            CifarLabels.Cifar10 => 10,
            CifarLabels.Fine => 100,
            _ => 20,
        };
        int recordBytes = RecordBytes(labels);

        var counts = new int[files.Count];
        long total = 0;
        for (int f = 0; f < files.Count; f++)
        {
            var info = new FileInfo(files[f]);
            if (!info.Exists)
            {
                throw new FileNotFoundException($"{name}: {files[f]} does not exist", files[f]);
            }
            long length = info.Length;
            if (length == 0)
            {
                throw new DatasetFormatException(files[f], 0, $"file is empty; expected {recordBytes}-byte records");
            }
            if (length % recordBytes != 0)
            {
                long whole = length / recordBytes;
                throw new DatasetFormatException(files[f], whole * recordBytes,
                    $"file size {length} is not a whole number of {recordBytes}-byte records: record {whole} " +
                    $"has only {length % recordBytes} bytes (truncated or not a CIFAR binary file)");
            }
            counts[f] = (int)(length / recordBytes);
            total += counts[f];
        }
        if (total * PixelBytes > Array.MaxLength)
        {
            throw new ArgumentException($"{name}: {total} images do not fit one array");
        }

        var pixels = new byte[total * PixelBytes];
        var labelArray = new int[total];
        var record = new byte[recordBytes];
        int index = 0;
        for (int f = 0; f < files.Count; f++)
        {
            using var stream = new FileStream(files[f], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            for (int r = 0; r < counts[f]; r++, index++)
            {
                // The size was checked above; a short read here means the file changed under us.
                stream.ReadExactly(record);
                int label = record[labelAt];
                if (label >= classCount)
                {
                    throw new DatasetFormatException(files[f], (long)r * recordBytes + labelAt,
                        $"label {label} of record {r} is out of range; expected 0..{classCount - 1}");
                }
                labelArray[index] = label;
                PlanarToHwc(record.AsSpan(labelBytes), pixels.AsSpan(index * PixelBytes, PixelBytes));
            }
        }
        IReadOnlyList<string> classes = labels switch
        {
            CifarLabels.Cifar10 => KnownClasses.Cifar10,
            CifarLabels.Fine => KnownClasses.Cifar100Fine,
            _ => KnownClasses.Cifar100Coarse,
        };
        return new InMemoryDataset(name, Side, Side, 3, pixels, labelArray, classes);
    }

    /// <summary>[3][32][32] planes (row-major) to [32][32][3].</summary>
    private static void PlanarToHwc(ReadOnlySpan<byte> planar, Span<byte> hwc)
    {
        for (int p = 0; p < PlaneBytes; p++)
        {
            hwc[3 * p] = planar[p];
            hwc[3 * p + 1] = planar[PlaneBytes + p];
            hwc[3 * p + 2] = planar[2 * PlaneBytes + p];
        }
    }
}
