using RelReason.Data.Readers;

namespace RelReason.Tests.Data;

public class CifarReaderTests
{
    // Stored value of channel c at row y, column x of record r; differs between channels, rows, columns and
    // records so that any planar/row-major mix-up changes the result.
    private static byte Value(int r, int c, int y, int x) => (byte)(r * 41 + c * 97 + y * 7 + x * 3);

    /// <summary>One record as the format describes: label byte(s), then R, G, B planes, each row-major.</summary>
    private static byte[] Record(int r, params byte[] labelBytes)
    {
        var rec = new byte[labelBytes.Length + 3072];
        labelBytes.CopyTo(rec, 0);
        int at = labelBytes.Length;
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    rec[at++] = Value(r, c, y, x);
                }
            }
        }
        return rec;
    }

    private static void AssertImage(RelReason.Data.IImageDataset ds, int index, int record)
    {
        var img = new byte[32 * 32 * 3];
        ds.ReadImage(index, img);
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 32; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    if (img[(y * 32 + x) * 3 + c] != Value(record, c, y, x))
                    {
                        Assert.Fail($"image {index}: pixel ({y},{x}) channel {c} is {img[(y * 32 + x) * 3 + c]}, " +
                            $"expected {Value(record, c, y, x)}");
                    }
                }
            }
        }
    }

    [Test]
    public void Cifar10TrainJoinsFiveBatchesInOrderAsHwc()
    {
        using var dir = new TempFolder();
        // Batch b holds records 2b and 2b+1 with labels (2b) % 10 and (2b+1) % 10.
        for (int b = 0; b < 5; b++)
        {
            File.WriteAllBytes(dir.File($"data_batch_{b + 1}.bin"),
                [.. Record(2 * b, (byte)(2 * b % 10)), .. Record(2 * b + 1, (byte)((2 * b + 1) % 10))]);
        }
        File.WriteAllBytes(dir.File("test_batch.bin"), Record(99, 3));

        var train = CifarReader.OpenCifar10(dir.Path, "train");
        Assert.That((train.Count, train.Height, train.Width, train.Channels), Is.EqualTo((10, 32, 32, 3)));
        for (int i = 0; i < 10; i++)
        {
            Assert.That(train.GetLabel(i), Is.EqualTo(i % 10));
            AssertImage(train, i, i);
        }
        // Spot check by hand: image 0, pixel (row 1, col 2) is R = 0+0+7+6, G = 97+13, B = 194+13.
        var img = new byte[3072];
        train.ReadImage(0, img);
        Assert.That(img.AsSpan((1 * 32 + 2) * 3, 3).ToArray(), Is.EqualTo(new byte[] { 13, 110, 207 }));

        var test = CifarReader.OpenCifar10(dir.Path, "test");
        Assert.That(test.ClassNames[test.GetLabel(0)], Is.EqualTo("cat"));
        AssertImage(test, 0, 99);
    }

    [Test]
    public void Cifar100ExposesFineOrCoarseLabels()
    {
        using var dir = new TempFolder();
        // Fine 4 (beaver) belongs to coarse 0 (aquatic_mammals); fine 99 (worm) to 13.
        File.WriteAllBytes(dir.File("train.bin"), [.. Record(0, 0, 4), .. Record(1, 13, 99)]);

        var fine = CifarReader.OpenCifar100(dir.Path, "train", CifarLabels.Fine);
        Assert.That(fine.Name, Is.EqualTo("cifar100/train"));
        Assert.That(fine.ClassNames, Has.Count.EqualTo(100));
        Assert.That(fine.ClassNames[fine.GetLabel(0)], Is.EqualTo("beaver"));
        Assert.That(fine.ClassNames[fine.GetLabel(1)], Is.EqualTo("worm"));
        AssertImage(fine, 1, 1);

        var coarse = CifarReader.OpenCifar100(dir.Path, "train", CifarLabels.Coarse);
        Assert.That(coarse.Name, Is.EqualTo("cifar100-20/train"));
        Assert.That(coarse.ClassNames, Has.Count.EqualTo(20));
        Assert.That(coarse.ClassNames[coarse.GetLabel(0)], Is.EqualTo("aquatic_mammals"));
        Assert.That(coarse.ClassNames[coarse.GetLabel(1)], Is.EqualTo("non-insect_invertebrates"));
        AssertImage(coarse, 0, 0);
    }

    [Test]
    public void FineToCoarseTableAgreesWithNamedExamples()
    {
        var fine = KnownClasses.Cifar100Fine.ToList();
        var coarse = KnownClasses.Cifar100Coarse;
        string CoarseOf(string f) => coarse[KnownClasses.Cifar100FineToCoarse[fine.IndexOf(f)]];
        Assert.That(CoarseOf("apple"), Is.EqualTo("fruit_and_vegetables"));
        Assert.That(CoarseOf("aquarium_fish"), Is.EqualTo("fish"));
        Assert.That(CoarseOf("tulip"), Is.EqualTo("flowers"));
        Assert.That(CoarseOf("woman"), Is.EqualTo("people"));
        Assert.That(CoarseOf("tractor"), Is.EqualTo("vehicles_2"));
        // Every superclass has exactly five fine classes.
        var perCoarse = KnownClasses.Cifar100FineToCoarse.GroupBy(c => c).Select(g => g.Count());
        Assert.That(perCoarse, Is.All.EqualTo(5));
    }

    [Test]
    public void SizeNotWholeRecordsIsReportedWithOffset()
    {
        using var dir = new TempFolder();
        byte[] bytes = [.. Record(0, 1), .. Record(1, 2)];
        File.WriteAllBytes(dir.File("test_batch.bin"), bytes[..(3073 + 100)]);
        var e = Assert.Throws<DatasetFormatException>(() => CifarReader.OpenCifar10(dir.Path, "test"));
        Assert.That(e!.FilePath, Does.EndWith("test_batch.bin"));
        Assert.That(e.Offset, Is.EqualTo(3073));
        Assert.That(e.Message, Does.Contain("3073-byte records").And.Contain("record 1"));
    }

    [Test]
    public void EmptyFileIsRefused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("test.bin"), []);
        var e = Assert.Throws<DatasetFormatException>(
            () => CifarReader.OpenCifar100(dir.Path, "test", CifarLabels.Fine));
        Assert.That(e!.Message, Does.Contain("empty"));
    }

    [TestCase(CifarLabels.Fine, 1, 100)]
    [TestCase(CifarLabels.Coarse, 0, 20)]
    public void Cifar100LabelOutOfRangeNamesRecordAndByte(CifarLabels which, int labelByte, int bad)
    {
        using var dir = new TempFolder();
        var second = labelByte == 1 ? Record(1, 0, (byte)bad) : Record(1, (byte)bad, 0);
        File.WriteAllBytes(dir.File("test.bin"), [.. Record(0, 1, 1), .. second]);
        var e = Assert.Throws<DatasetFormatException>(() => CifarReader.OpenCifar100(dir.Path, "test", which));
        Assert.That(e!.Offset, Is.EqualTo(3074 + labelByte));
        Assert.That(e.Message, Does.Contain($"label {bad} of record 1"));
    }

    [Test]
    public void MissingBatchIsNamed()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), Record(0, 1));
        var e = Assert.Throws<FileNotFoundException>(() => CifarReader.OpenCifar10(dir.Path, "train"));
        Assert.That(e!.Message, Does.Contain("data_batch_2.bin"));
    }
}
