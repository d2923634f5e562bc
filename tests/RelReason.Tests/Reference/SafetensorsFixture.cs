using RelReason.Training.Checkpoints;

namespace RelReason.Tests.Reference;

/// <summary>One float32 tensor of a fixture: its shape (empty for a 0-d tensor) and its row-major values.</summary>
public readonly record struct FixtureTensor(int[] Shape, float[] Data)
{
    /// <summary>Number of elements (1 for a 0-d tensor).</summary>
    public int Count => Data.Length;
}

/// <summary>
/// A PyTorch reference fixture (tests/reference/fixtures/*.safetensors, see tests/reference/README.md), read
/// whole into memory through the library's safetensors reader, which validates the file (malformed input raises
/// <see cref="SafetensorsFormatException"/> naming the file and the problem). Fixtures hold F32 tensors only.
/// </summary>
public sealed class Fixture
{
    private readonly Dictionary<string, FixtureTensor> _tensors;

    private Fixture(string path, List<string> names, Dictionary<string, FixtureTensor> tensors,
        Dictionary<string, string> metadata)
    {
        Path = path;
        Names = names;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file this fixture was read from.</summary>
    public string Path { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The "__metadata__" entries (all values are strings).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The folder the test project copies the fixtures to.</summary>
    public static string Folder => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures");

    /// <summary>The tensor called <paramref name="name"/>; throws naming the file when it is absent.</summary>
    public FixtureTensor this[string name] =>
        _tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Whether a tensor called <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The metadata value for <paramref name="key"/>; throws naming the file when it is absent.</summary>
    public string Meta(string key) =>
        Metadata.TryGetValue(key, out var value)
            ? value
            : throw new KeyNotFoundException($"{Path}: no metadata entry '{key}'");

    /// <summary>The metadata value for <paramref name="key"/> parsed as an integer.</summary>
    public int MetaInt(string key)
    {
        string text = Meta(key);
        return int.TryParse(text, System.Globalization.NumberStyles.Integer,
            System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidDataException($"{Path}: metadata '{key}' is '{text}', expected an integer");
    }

    /// <summary>Loads fixtures/<paramref name="name"/>.safetensors from the test output folder.</summary>
    public static Fixture LoadNamed(string name) => Load(System.IO.Path.Combine(Folder, name + ".safetensors"));

    /// <summary>Reads a whole fixture file; a tensor that is not F32 is rejected naming the file.</summary>
    public static Fixture Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var tensors = new Dictionary<string, FixtureTensor>();
        foreach (string name in file.Names)
        {
            var entry = file[name];
            if (entry.DType != SafetensorsDType.F32)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' is {entry.DType}, fixtures hold F32 only");
            }
            tensors[name] = new FixtureTensor(entry.Shape, file.ReadF32(name));
        }
        return new Fixture(path, file.Names.ToList(), tensors,
            file.Metadata.ToDictionary(p => p.Key, p => p.Value));
    }
}
