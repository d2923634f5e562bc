using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using RelReason.Tests.Data;
using RelReason.Training;
using RelReason.Training.Checkpoints;

namespace RelReason.Tests.Training;

public class SafetensorsTests
{
    private static readonly float[] Awkward = [1.5f, -0f, float.Epsilon, float.MaxValue, float.NaN, -3.25e-20f];

    [Test]
    public void RoundTripIsBitExactForF32AndI64()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        var matrix = TestTensors.Random(5, 6 * 7);
        SafetensorsWriter.Write(path,
        [
            SafetensorsTensor.F32("a.weight", [6, 7], matrix),
            SafetensorsTensor.F32("awkward", [2, 3], Awkward),
            SafetensorsTensor.I64("bn.num_batches_tracked", [], new long[] { 1L << 40 }),
            SafetensorsTensor.I64("ids", [3], new long[] { -1, 0, long.MaxValue }),
            SafetensorsTensor.F32("produced", [4], span => span.Fill(2.5f)),
            SafetensorsTensor.F32("empty", [0, 5], Array.Empty<float>()),
        ], new Dictionary<string, string> { ["note"] = "héllo ✓", ["empty"] = "" });

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Names,
            Is.EqualTo(new[] { "a.weight", "awkward", "bn.num_batches_tracked", "ids", "produced", "empty" }));
        Assert.That(file.Metadata["note"], Is.EqualTo("héllo ✓"));
        Assert.That(file.Metadata["empty"], Is.EqualTo(""));
        Assert.That(Bits(file.ReadF32("a.weight")), Is.EqualTo(Bits(matrix)));
        Assert.That(Bits(file.ReadF32("awkward")), Is.EqualTo(Bits(Awkward)));
        Assert.That(file["bn.num_batches_tracked"].Shape, Is.Empty);
        Assert.That(file.ReadI64("bn.num_batches_tracked"), Is.EqualTo(new[] { 1L << 40 }));
        Assert.That(file.ReadI64("ids"), Is.EqualTo(new[] { -1, 0, long.MaxValue }));
        Assert.That(file.ReadF32("produced"), Is.EqualTo(new[] { 2.5f, 2.5f, 2.5f, 2.5f }));
        Assert.That(file.ReadF32("empty"), Is.Empty);
        Assert.That(file["empty"].Shape, Is.EqualTo(new[] { 0, 5 }));
    }

    [Test]
    public void BytesFollowTheFormat()
    {
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream,
        [
            SafetensorsTensor.F32("w", [1, 2], new[] { 1.5f, -2f }),
            SafetensorsTensor.I64("n", [], new long[] { 0x0102030405060708 }),
        ], new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = stream.ToArray();

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That((8 + (long)n) % 8, Is.Zero, "data must start 8-byte aligned");
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.That(header[0], Is.EqualTo('{'));
        Assert.That(header.TrimEnd(' ').Length, Is.GreaterThan(header.Length - 8), "padding is fewer than 8 spaces");
        using var json = JsonDocument.Parse(header);
        var root = json.RootElement;
        Assert.That(root.GetProperty("__metadata__").GetProperty("k").GetString(), Is.EqualTo("v"));
        var w = root.GetProperty("w");
        Assert.That(w.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        Assert.That(w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 1, 2 }));
        var nEntry = root.GetProperty("n");
        Assert.That(nEntry.GetProperty("dtype").GetString(), Is.EqualTo("I64"));
        Assert.That(nEntry.GetProperty("shape").GetArrayLength(), Is.Zero);
        // The int64 goes first so that it is 8-byte aligned; the floats follow.
        Assert.That(Offsets(nEntry), Is.EqualTo(new[] { 0L, 8L }));
        Assert.That(Offsets(w), Is.EqualTo(new[] { 8L, 16L }));
        int data = 8 + (int)n;
        Assert.That(bytes.Length, Is.EqualTo(data + 16));
        Assert.That(bytes[data..(data + 8)], Is.EqualTo(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1 }));
        // 1.5f = 0x3FC00000 and -2f = 0xC0000000, little-endian.
        Assert.That(bytes[(data + 8)..], Is.EqualTo(new byte[] { 0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0 }));
    }

    // Headers are written with ' for " to stay readable.
    [TestCase("{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]}," +
        "'b':{'dtype':'F32','shape':[2],'data_offsets':[4,12]}}", 12, "overlap")]
    [TestCase("{'a':{'dtype':'F32','shape':[1],'data_offsets':[0,4]}," +
        "'b':{'dtype':'F32','shape':[1],'data_offsets':[8,12]}}", 12, "belong to no tensor")]
    [TestCase("{'a':{'dtype':'F32','shape':[4],'data_offsets':[0,16]}}", 12, "run past the 12 data bytes")]
    [TestCase("{'a':{'dtype':'F32','shape':[3],'data_offsets':[0,8]}}", 8, "span 8 bytes")]
    [TestCase("{'a':{'dtype':'I64','shape':[],'data_offsets':[0,4]}}", 4, "(8 bytes)")]
    [TestCase("{'a':{'dtype':'BF16','shape':[2],'data_offsets':[0,4]}}", 4, "only F32 and I64")]
    [TestCase("{'a':{'dtype':'F32','shape':[1],'data_offsets':[0,4]}}", 8, "4 bytes after the last tensor")]
    [TestCase("{'a':{'dtype':'F32','shape':[-1],'data_offsets':[0,4]}}", 4, "integers in [0,")]
    [TestCase("{'a':{'dtype':'F32','shape':[1],'data_offsets':[4,0]}}", 4, "begin <= end")]
    [TestCase("{'a':{'dtype':'F32','shape':[1]}}", 0, "lacks dtype, shape or data_offsets")]
    [TestCase("{'a':{'dtype':'F32','shape':[1],'data_offsets':[0,4]}," +
        "'a':{'dtype':'F32','shape':[1],'data_offsets':[4,8]}}", 8, "names 'a' twice")]
    [TestCase("{'__metadata__':{'x':1}}", 0, "metadata 'x' to be a string")]
    [TestCase("[1,2]", 0, "not a JSON object")]
    [TestCase("{'a':", 0, "not valid JSON")]
    public void MalformedHeadersAreRejectedNamingTheFile(string header, int dataBytes, string problem)
    {
        using var dir = new TempFolder();
        string path = dir.File("bad.safetensors");
        SafetensorsTestFiles.Write(path, header.Replace('\'', '"'), new byte[dataBytes]);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.That(e!.Message, Does.StartWith(path + ": "));
        Assert.That(e.Message, Does.Contain(problem));
    }

    [Test]
    public void BadPrefixesAreRejected()
    {
        using var dir = new TempFolder();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(() => SafetensorsFile.Open(path),
            Throws.TypeOf<SafetensorsFormatException>().With.Message.Contains("3 bytes; a safetensors file starts"));

        SafetensorsTestFiles.Write(path, new byte[16], [], claimedLength: 1UL << 40);
        Assert.That(() => SafetensorsFile.Open(path),
            Throws.TypeOf<SafetensorsFormatException>().With.Message.Contains("is absurd"));

        SafetensorsTestFiles.Write(path, new byte[16], [], claimedLength: 4096);
        Assert.That(() => SafetensorsFile.Open(path),
            Throws.TypeOf<SafetensorsFormatException>().With.Message
                .Contains("runs past the end of the 24-byte file"));

        SafetensorsTestFiles.Write(path, [(byte)'{', 0xC3, 0x28, (byte)'}'], []);
        Assert.That(() => SafetensorsFile.Open(path),
            Throws.TypeOf<SafetensorsFormatException>().With.Message.Contains("not valid UTF-8"));
    }

    [Test]
    public void ATruncatedFileNamesTheTensorThatRunsPastTheEnd()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        SafetensorsWriter.Write(path,
            [SafetensorsTensor.F32("a", [4], new float[4]), SafetensorsTensor.F32("b", [8], new float[8])]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        Assert.That(() => SafetensorsFile.Open(path),
            Throws.TypeOf<SafetensorsFormatException>().With.Message.Contains("tensor 'b' data_offsets [16, 48)"));
    }

    [Test]
    public void ReadsCheckTypeAndLength()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        SafetensorsWriter.Write(path,
            [SafetensorsTensor.F32("f", [2], new float[2]), SafetensorsTensor.I64("n", [], new long[1])]);
        using var file = SafetensorsFile.Open(path);
        Assert.That(() => file.ReadI64("f"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("'f' is F32"));
        Assert.That(() => file.ReadF32("f", new float[3]), Throws.ArgumentException.With.Message.Contains("holds 3"));
        Assert.That(() => file.ReadF32("missing"), Throws.TypeOf<KeyNotFoundException>().With.Message.Contains(path));
    }

    [Test]
    public void WriterRejectsBadInputBeforeTouchingTheDisk()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        Assert.That(() => SafetensorsTensor.F32("a", [2, 2], new float[3]),
            Throws.ArgumentException.With.Message.Contains("4 elements, 3 values"));
        Assert.That(() => SafetensorsWriter.Write(path,
            [SafetensorsTensor.F32("a", [1], new float[1]), SafetensorsTensor.F32("a", [1], new float[1])]),
            Throws.ArgumentException.With.Message.Contains("given twice"));
        Assert.That(Directory.GetFiles(dir.Path), Is.Empty);
    }

    [Test]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.F32("old", [3], new[] { 1f, 2f, 3f })]);
        byte[] before = File.ReadAllBytes(path);

        var big = new[] { SafetensorsTensor.F32("new", [1000], new float[1000]) };
        var e = Assert.Throws<IOException>(() => SafetensorsWriter.Write(path, big, null,
            s => new SafetensorsTestFiles.FailingStream(s, 200)));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("nothing was replaced").And.Contain("No space left"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(dir.Path), Is.EqualTo(new[] { path }));

        // A producer that fails (not an I/O error) is rethrown as it is, with the same clean-up.
        var failing = new[]
        {
            SafetensorsTensor.F32("new", [4], _ => throw new InvalidOperationException("device lost")),
        };
        Assert.That(() => SafetensorsWriter.Write(path, failing),
            Throws.InvalidOperationException.With.Message.EqualTo("device lost"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(dir.Path), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void ReadingIntoABufferAllocatesAlmostNothing()
    {
        // 8 MB of floats: the reader must go from the file straight into the caller's span, not through copies.
        using var dir = new TempFolder();
        string path = dir.File("big.safetensors");
        var values = TestTensors.Random(3, 2_000_000);
        SafetensorsWriter.Write(path, [SafetensorsTensor.F32("big", [2_000_000], values)]);
        var destination = new float[values.Length];
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var file = SafetensorsFile.Open(path))
        {
            file.ReadF32("big", destination);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(256 * 1024), "bytes allocated while reading 8 MB");
        Assert.That(Bits(destination), Is.EqualTo(Bits(values)));
    }

    [Test]
    public void AtomicTextWriteReplacesContent()
    {
        using var dir = new TempFolder();
        string path = dir.File(Path.Combine("sub", "a.txt"));
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two ✓");
        Assert.That(File.ReadAllText(path), Is.EqualTo("two ✓"));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1));
    }

    private static long[] Offsets(JsonElement entry) =>
        entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
