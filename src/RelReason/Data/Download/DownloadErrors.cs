namespace RelReason.Data.Download;

/// <summary>
/// A transfer failed. When <see cref="Resumable"/> is true the error was a network interruption and the partial
/// file was kept, so fetching again continues where it stopped.
/// </summary>
public sealed class DownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public DownloadException(string message, bool resumable, Exception? inner = null)
        : base(message, inner)
    {
        Resumable = resumable;
    }

    /// <summary>Whether a .part file was kept for resuming.</summary>
    public bool Resumable { get; }
}

/// <summary>A downloaded file's MD5 differs from the known value; the file was deleted.</summary>
public sealed class ChecksumMismatchException : IOException
{
    /// <summary>Creates the exception for <paramref name="file"/>.</summary>
    public ChecksumMismatchException(string file, string expected, string actual)
        : base($"{file}: MD5 is {actual}, expected {expected}; the file was deleted (corrupt download, or a " +
            "mirror serving other content)")
    {
        FileName = file;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The file that failed.</summary>
    public string FileName { get; }

    /// <summary>Known MD5, lower-case hex.</summary>
    public string Expected { get; }

    /// <summary>MD5 of what was received, lower-case hex.</summary>
    public string Actual { get; }
}

/// <summary>An archive entry would be written outside the target folder (or is a link); nothing was kept.</summary>
public sealed class UnsafeArchiveException : IOException
{
    /// <summary>Creates the exception.</summary>
    public UnsafeArchiveException(string archive, string entry, string reason)
        : base($"{archive}: entry '{entry}' refused: {reason}")
    {
        Archive = archive;
        Entry = entry;
    }

    /// <summary>The archive file.</summary>
    public string Archive { get; }

    /// <summary>The refused entry's name as stored.</summary>
    public string Entry { get; }
}
