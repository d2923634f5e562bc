namespace RelReason.Data.Readers;

/// <summary>
/// A dataset file does not have the layout its format requires. The message names the file, the byte offset or
/// record, and what was expected there.
/// </summary>
public sealed class DatasetFormatException : IOException
{
    /// <summary>Creates the exception; <paramref name="offset"/> is -1 when no byte position applies.</summary>
    public DatasetFormatException(string path, long offset, string problem, Exception? inner = null)
        : base(Compose(path, offset, problem), inner)
    {
        FilePath = path;
        Offset = offset;
    }

    /// <summary>The offending file (or folder).</summary>
    public string FilePath { get; }

    /// <summary>Byte offset of the problem in the (decompressed) file, or -1 when it has none.</summary>
    public long Offset { get; }

    private static string Compose(string path, long offset, string problem) =>
        offset >= 0 ? $"{path}: at byte {offset}: {problem}" : $"{path}: {problem}";
}
