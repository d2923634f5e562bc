namespace RelReason.Data.Download;

/// <summary>Options of <see cref="DatasetFetcher"/>.</summary>
public sealed record FetchOptions
{
    /// <summary>The data root; null means <see cref="DataLocations.DataRoot"/>.</summary>
    public string? Root { get; init; }

    /// <summary>Replaces the dataset's base URL (a mirror, or a local test server).</summary>
    public string? BaseUrl { get; init; }

    /// <summary>Replace a dataset folder that already exists (the old one is removed only after success).</summary>
    public bool Force { get; init; }

    /// <summary>Keep the verified archives in root/.downloads after unpacking.</summary>
    public bool KeepArchives { get; init; }

    /// <summary>Receives progress; called on the fetching thread. The CLI draws its bar from this.</summary>
    public Action<FetchProgress>? Progress { get; init; }

    /// <summary>The downloader to use (client, retries, idle timeout); a default one when null.</summary>
    public HttpDownloader? Downloader { get; init; }
}

/// <summary>What a fetch did.</summary>
/// <param name="Folder">The dataset folder.</param>
/// <param name="AlreadyPresent">True when the folder existed and nothing was fetched.</param>
public sealed record FetchResult(string Folder, bool AlreadyPresent);

/// <summary>
/// Fetches a dataset into the data root: download every file (resumable), verify MD5s, unpack into a staging
/// folder beside the target, and only then rename the result into place. A failure at any step removes the
/// staging folder, so root/FolderName is either absent, the old copy, or complete.
/// </summary>
public static class DatasetFetcher
{
    /// <summary>Name of the folder under the data root that holds downloads and their .part files.</summary>
    public const string DownloadsFolder = ".downloads";

    /// <summary>Fetches a catalog dataset by name; see <see cref="DatasetSources.For"/>.</summary>
    public static Task<FetchResult> FetchAsync(string dataset, FetchOptions? options = null,
        CancellationToken cancel = default)
    {
        options ??= new FetchOptions();
        return FetchAsync(DatasetSources.For(dataset, options.BaseUrl), options, cancel);
    }

    /// <summary>Fetches <paramref name="source"/> (its base URL is used as given).</summary>
    public static async Task<FetchResult> FetchAsync(DatasetSource source, FetchOptions options,
        CancellationToken cancel = default)
    {
        string root = Path.GetFullPath(options.Root ?? DataLocations.DataRoot());
        string target = Path.Combine(root, source.FolderName);
        if (Directory.Exists(target) && !options.Force)
        {
            return new FetchResult(target, AlreadyPresent: true);
        }
        string downloads = Path.Combine(root, DownloadsFolder);
        Directory.CreateDirectory(downloads);
        var downloader = options.Downloader ?? new HttpDownloader();
        var local = new List<(RemoteFile File, string Path)>();
        foreach (var file in source.Files)
        {
            string path = Path.Combine(downloads, file.Name);
            var url = new Uri(new Uri(source.BaseUrl), file.Name);
            await downloader.DownloadAsync(url, path, file.Md5, options.Progress, cancel).ConfigureAwait(false);
            local.Add((file, path));
        }

        string staging = Path.Combine(root, $".staging-{source.FolderName}-{Guid.NewGuid():N}");
        string? old = null;
        try
        {
            // Keep/Gzip files go into the dataset folder; archives carry that folder themselves.
            string inner = Path.Combine(staging, source.FolderName);
            foreach (var (file, path) in local)
            {
                cancel.ThrowIfCancellationRequested();
                bool archive = file.Packing is Packing.TarGz or Packing.Zip;
                string into = source.ArchiveHasFolder && archive ? staging : inner;
                ArchiveExtractor.Extract(path, file.Packing, into, options.Progress);
            }
            if (!Directory.Exists(inner))
            {
                throw new DownloadException(
                    $"{source.Dataset}: the archive did not contain the folder {source.FolderName}/", false);
            }
            if (Directory.Exists(target))
            {
                old = Path.Combine(root, $".old-{source.FolderName}-{Guid.NewGuid():N}");
                Directory.Move(target, old);
            }
            Directory.Move(inner, target);
        }
        catch
        {
            if (old is not null && !Directory.Exists(target))
            {
                Directory.Move(old, target);
                old = null;
            }
            throw;
        }
        finally
        {
            TryDelete(staging);
        }
        if (old is not null)
        {
            TryDelete(old);
        }
        if (!options.KeepArchives)
        {
            foreach (var (_, path) in local)
            {
                File.Delete(path);
            }
        }
        return new FetchResult(target, AlreadyPresent: false);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover staging folder is hidden (dot name) and never read as a dataset; not worth failing for.
        }
    }
}
