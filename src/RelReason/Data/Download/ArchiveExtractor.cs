using System.Formats.Tar;
using System.IO.Compression;

namespace RelReason.Data.Download;

/// <summary>
/// Unpacks .tar.gz, .zip and single-file .gz archives into a folder, refusing any entry that would land outside
/// it (an absolute name, a ".." segment) and any link entry. Callers unpack into a staging folder and discard it
/// on error, so a refused archive leaves nothing behind.
/// </summary>
public static class ArchiveExtractor
{
    /// <summary>Unpacks <paramref name="archive"/> into <paramref name="target"/> according to its packing.</summary>
    public static void Extract(string archive, Packing packing, string target, Action<FetchProgress>? progress)
    {
        Directory.CreateDirectory(target);
        switch (packing)
        {
            case Packing.TarGz:
                ExtractTarGz(archive, target, progress);
                break;
            case Packing.Zip:
                ExtractZip(archive, target, progress);
                break;
            case Packing.Gzip:
                ExtractGzip(archive, target);
                break;
            default:
                File.Copy(archive, Path.Combine(target, Path.GetFileName(archive)), overwrite: false);
                break;
        }
    }

    /// <summary>
    /// The full path an entry named <paramref name="entryName"/> would take under <paramref name="target"/>.
    /// </summary>
    /// <exception cref="UnsafeArchiveException">The name is absolute, contains "..", or resolves outside.</exception>
    public static string SafePath(string archive, string target, string entryName)
    {
        string name = entryName.Replace('\\', '/');
        if (name.Length == 0 || name.StartsWith('/') || Path.IsPathRooted(name) || (name.Length > 1 && name[1] == ':'))
        {
            throw new UnsafeArchiveException(archive, entryName, "absolute path; expected a path inside the archive");
        }
        if (name.Split('/').Any(segment => segment == ".."))
        {
            throw new UnsafeArchiveException(archive, entryName, "'..' would leave the target folder");
        }
        string root = Path.GetFullPath(target);
        string full = Path.GetFullPath(Path.Combine(root, name));
        string rootWithSep = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal) && full != root)
        {
            throw new UnsafeArchiveException(archive, entryName, $"resolves to {full}, outside {root}");
        }
        return full;
    }

    private static void ExtractTarGz(string archive, string target, Action<FetchProgress>? progress)
    {
        using var file = File.OpenRead(archive);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        string name = Path.GetFileName(archive);
        long written = 0;
        try
        {
            TarEntry? entry;
            while ((entry = tar.GetNextEntry()) is not null)
            {
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(SafePath(archive, target, entry.Name));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    {
                        string path = SafePath(archive, target, entry.Name);
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        entry.ExtractToFile(path, overwrite: false);
                        written += entry.Length;
                        progress?.Invoke(new FetchProgress(FetchPhase.Unpack, name, written, null));
                        break;
                    }
                    case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                        throw new UnsafeArchiveException(archive, entry.Name,
                            "links are not unpacked (they could point outside the target folder)");
                    default:
                        // Metadata entries (global headers, long-name records) carry no file of their own.
                        break;
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new DownloadException($"{archive}: damaged archive: {e.Message}", resumable: false, e);
        }
    }

    private static void ExtractZip(string archive, string target, Action<FetchProgress>? progress)
    {
        string name = Path.GetFileName(archive);
        try
        {
            using var zip = ZipFile.OpenRead(archive);
            // Check every name before writing anything.
            var paths = zip.Entries.Select(e => SafePath(archive, target, e.FullName)).ToArray();
            long written = 0;
            for (int i = 0; i < zip.Entries.Count; i++)
            {
                var entry = zip.Entries[i];
                if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                {
                    Directory.CreateDirectory(paths[i]);
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(paths[i])!);
                entry.ExtractToFile(paths[i], overwrite: false);
                written += entry.Length;
                progress?.Invoke(new FetchProgress(FetchPhase.Unpack, name, written, null));
            }
        }
        catch (InvalidDataException e)
        {
            throw new DownloadException($"{archive}: damaged archive: {e.Message}", resumable: false, e);
        }
    }

    private static void ExtractGzip(string archive, string target)
    {
        string name = Path.GetFileName(archive);
        string outName = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name + ".out";
        string path = SafePath(archive, target, outName);
        try
        {
            using var input = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
            using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            input.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new DownloadException($"{archive}: damaged gzip file: {e.Message}", resumable: false, e);
        }
    }
}
