namespace RelReason.Training;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new content: the bytes go to a
/// temporary file in the target's folder (same file system, so the rename is atomic), are flushed to the disk,
/// and the temporary file is then renamed over the target. A crash or a full disk leaves the old file intact.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Creates or replaces <paramref name="path"/> with what <paramref name="write"/> puts into the stream it is
    /// given. The folder is created when missing. When writing fails the temporary file is deleted; an
    /// <see cref="IOException"/> is rethrown with the target's name and the fact that nothing was replaced.
    /// </summary>
    public static void Write(string path, Action<Stream> write) => Write(path, write, wrap: null);

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark), atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            s.Write(bytes, 0, bytes.Length);
        });

    /// <summary>
    /// As <see cref="Write(string, Action{Stream})"/>; <paramref name="wrap"/> (tests only) may put a stream
    /// between the writer and the temporary file, e.g. one that fails after some bytes like a full disk.
    /// </summary>
    internal static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"{path}: cannot write a file at the root of the file system");
        Directory.CreateDirectory(folder);
        // Hidden, unique, and recognisable as ours when a hard kill leaves one behind.
        string temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var stream = wrap is null ? file : wrap(file);
                write(stream);
                stream.Flush();
                // Data must be on the disk before the rename makes it visible, or a power cut after the rename
                // could leave a file of the right name with zeros in it.
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new IOException(
                $"{target}: writing failed, nothing was replaced (the previous file, if any, is unchanged): " +
                e.Message, e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one worth reporting; a leftover hidden .tmp file is harmless.
        }
    }
}
