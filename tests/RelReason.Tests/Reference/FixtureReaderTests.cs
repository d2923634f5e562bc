using System.Buffers.Binary;
using System.Text;
using RelReason.Training.Checkpoints;

namespace RelReason.Tests.Reference;

/// <summary>
/// The fixture reader on hand-made files: a valid one round-trips, a malformed or non-float one is rejected naming
/// the file.
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

    [Test]
    public void OnlyF32TensorsAreAccepted()
    {
        // The file itself is valid (I64 is a safetensors dtype the library reads); fixtures hold floats only.
        string path = Write("int.safetensors", "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
            [0f, 0f]);
        var e = Assert.Throws<InvalidDataException>(() => Fixture.Load(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("F32 only"));
    }

    [Test]
    public void MalformedFilesAreRejectedNamingTheFile()
    {
        // The library reader's own tests go through every malformed case; here, that its errors reach the caller.
        string bad = Write("bad.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}",
            [0f]);
        var e1 = Assert.Throws<SafetensorsFormatException>(() => Fixture.Load(bad));
        Assert.That(e1!.Message, Does.Contain(bad));

        string cut = Path.Combine(_folder, "cut.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100);
        File.WriteAllBytes(cut, bytes);
        var e2 = Assert.Throws<SafetensorsFormatException>(() => Fixture.Load(cut));
        Assert.That(e2!.Message, Does.Contain(cut));
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
