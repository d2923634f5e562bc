using System.Buffers.Binary;
using System.Text;

namespace RelReason.Tests.Reference;

/// <summary>
/// The fixture reader on hand-made files: a valid one round-trips, each malformed one is rejected naming the file.
/// </summary>
public class FixtureReaderTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "relreason-fixture-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void ReadsShapesValuesScalarsAndMetadata()
    {
        string path = Write("ok.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," +
            "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]}," +
            "\"__metadata__\":{\"K\":\"4\",\"loss\":\"focal\"}}",
            [0f, 1.5f, -2f, 3.25f, float.Epsilon, -0f, 7f]);
        var f = Fixture.Load(path);
        Assert.That(f.Names, Is.EqualTo(new[] { "a", "s" }));
        var (shape, data) = f["a"];
        Assert.That(shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(data, Is.EqualTo(new[] { 0f, 1.5f, -2f, 3.25f, float.Epsilon, -0f }));
        Assert.That(f["s"].Shape, Is.Empty);
        Assert.That(f["s"].Data, Is.EqualTo(new[] { 7f }));
        Assert.That(f.MetaInt("K"), Is.EqualTo(4));
        Assert.That(f.Meta("loss"), Is.EqualTo("focal"));
    }

    [Test]
    public void MissingTensorOrMetadataNamesTheFile()
    {
        string path = Write("small.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", [1f]);
        var f = Fixture.Load(path);
        var e1 = Assert.Throws<KeyNotFoundException>(() => _ = f["b"]);
        Assert.That(e1!.Message, Does.Contain(path).And.Contain("'b'"));
        var e2 = Assert.Throws<KeyNotFoundException>(() => f.Meta("K"));
        Assert.That(e2!.Message, Does.Contain(path).And.Contain("'K'"));
    }

    [TestCase("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "expected F32")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "shape [2]")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "expected [0,4)")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover 4 of the 8")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "dtype, shape and data_offsets")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4, "not 'x'")]
    [TestCase("{\"__metadata__\":{\"K\":4}}", 0, "metadata 'K' to be a string")]
    [TestCase("{\"a\":", 0, "not valid JSON")]
    public void MalformedHeaderIsRejectedNamingTheFile(string header, int dataBytes, string expected)
    {
        string path = Write("bad.safetensors", header, new float[dataBytes / 4]);
        var e = Assert.Throws<InvalidDataException>(() => Fixture.Load(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain(expected));
    }

    [Test]
    public void TruncatedFilesAreRejectedNamingTheFile()
    {
        string tiny = Path.Combine(_folder, "tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        var e1 = Assert.Throws<InvalidDataException>(() => Fixture.Load(tiny));
        Assert.That(e1!.Message, Does.Contain(tiny).And.Contain("3 bytes"));

        string cut = Path.Combine(_folder, "cut.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100);
        File.WriteAllBytes(cut, bytes);
        var e2 = Assert.Throws<InvalidDataException>(() => Fixture.Load(cut));
        Assert.That(e2!.Message, Does.Contain(cut).And.Contain("header length 100"));
    }

    /// <summary>Writes a safetensors file with the given header text (padded to 8 bytes) and float data.</summary>
    private string Write(string name, string header, float[] values)
    {
        byte[] text = Encoding.UTF8.GetBytes(header);
        int padded = (text.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + 4 * values.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        text.CopyTo(bytes, 8);
        bytes.AsSpan(8 + text.Length, padded - text.Length).Fill((byte)' ');
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + padded + 4 * i), values[i]);
        }
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
