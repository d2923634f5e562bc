using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace RelReason.Data.Download;

/// <summary>Stage of a fetch, for progress display.</summary>
public enum FetchPhase
{
    /// <summary>Receiving bytes.</summary>
    Download,

    /// <summary>Computing the MD5 of a received file.</summary>
    Verify,

    /// <summary>Writing archive entries into the staging folder.</summary>
    Unpack,
}

/// <summary>A progress report: <paramref name="Done"/> of <paramref name="Total"/> bytes (null: unknown).</summary>
public readonly record struct FetchProgress(FetchPhase Phase, string File, long Done, long? Total);

/// <summary>
/// Downloads one file over HTTP into a ".part" file beside the destination, resuming with a Range request when a
/// .part already exists, then checks its MD5 and renames it into place.
/// </summary>
public sealed class HttpDownloader
{
    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(30),
    })
    {
        // Per-read stalls are caught by IdleTimeout; this bounds only the wait for response headers.
        Timeout = TimeSpan.FromMinutes(2),
    });

    private readonly HttpClient _client;

    /// <summary>Uses <paramref name="client"/>, or a shared client when null.</summary>
    public HttpDownloader(HttpClient? client = null)
    {
        _client = client ?? SharedClient.Value;
    }

    /// <summary>A transfer that receives nothing for this long counts as interrupted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts per file; each retry resumes from the bytes already received.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Pause before a retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Makes <paramref name="destination"/> a verified copy of <paramref name="url"/>. An existing destination is
    /// re-verified and kept when its MD5 matches. Received bytes go to destination + ".part"; a network
    /// interruption keeps it for the next call, a checksum mismatch deletes it.
    /// </summary>
    /// <exception cref="DownloadException">HTTP error, or interrupted after every attempt.</exception>
    /// <exception cref="ChecksumMismatchException">The complete file has another MD5.</exception>
    public async Task DownloadAsync(Uri url, string destination, string md5, Action<FetchProgress>? progress,
        CancellationToken cancel)
    {
        string name = Path.GetFileName(destination);
        if (File.Exists(destination))
        {
            string have = await Md5Async(destination, name, progress, cancel).ConfigureAwait(false);
            if (have == md5)
            {
                return;
            }
            File.Delete(destination);
        }
        string part = destination + ".part";
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await TransferAsync(url, part, name, progress, cancel).ConfigureAwait(false);
                break;
            }
            catch (DownloadException e) when (e.Resumable && attempt < MaxAttempts)
            {
                await Task.Delay(RetryDelay, cancel).ConfigureAwait(false);
            }
        }
        string actual = await Md5Async(part, name, progress, cancel).ConfigureAwait(false);
        if (actual != md5)
        {
            File.Delete(part);
            throw new ChecksumMismatchException(name, md5, actual);
        }
        File.Move(part, destination, overwrite: true);
    }

    /// <summary>Lower-case hex MD5 of a file, reporting progress as <see cref="FetchPhase.Verify"/>.</summary>
    public static async Task<string> Md5Async(string path, string name, Action<FetchProgress>? progress,
        CancellationToken cancel)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20,
            useAsync: true);
        long total = input.Length;
        long done = 0;
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await input.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
        {
            md5.AppendData(buffer, 0, n);
            done += n;
            progress?.Invoke(new FetchProgress(FetchPhase.Verify, name, done, total));
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    /// <summary>One HTTP request, appending to <paramref name="part"/> from its current length.</summary>
    private async Task TransferAsync(Uri url, string part, string name, Action<FetchProgress>? progress,
        CancellationToken cancel)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
        }
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (IsNetworkFailure(e, cancel))
        {
            throw new DownloadException($"{url}: could not connect: {e.Message}", resumable: true, e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            {
                // The .part already holds the whole file (an earlier run stopped before verifying it).
                return;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new DownloadException(
                    $"{url}: server answered {(int)response.StatusCode} {response.ReasonPhrase}", resumable: false);
            }
            bool append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent
                && response.Content.Headers.ContentRange?.From == have;
            if (!append)
            {
                // No usable range support: start over.
                have = 0;
            }
            long? total = response.Content.Headers.ContentLength is long len ? have + len : null;
            await using var output = new FileStream(part, append ? FileMode.Append : FileMode.Create,
                FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await CopyBodyAsync(url, response, output, name, have, total, progress, cancel).ConfigureAwait(false);
        }
    }

    private async Task CopyBodyAsync(Uri url, HttpResponseMessage response, FileStream output, string name,
        long done, long? total, Action<FetchProgress>? progress, CancellationToken cancel)
    {
        var buffer = new byte[1 << 16];
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
            while (true)
            {
                idle.CancelAfter(IdleTimeout);
                int n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                await output.WriteAsync(buffer.AsMemory(0, n), cancel).ConfigureAwait(false);
                done += n;
                progress?.Invoke(new FetchProgress(FetchPhase.Download, name, done, total));
            }
        }
        catch (Exception e) when (IsNetworkFailure(e, cancel))
        {
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            throw new DownloadException(
                $"{url}: transfer interrupted after {done} bytes ({e.Message}); the partial file is kept and the " +
                "next fetch resumes it", resumable: true, e);
        }
        if (total is long t && done != t)
        {
            throw new DownloadException($"{url}: received {done} of {t} bytes; the next fetch resumes",
                resumable: true);
        }
    }

    // A timeout of ours (not the caller's cancellation) or a socket/HTTP failure: worth resuming.
    private static bool IsNetworkFailure(Exception e, CancellationToken cancel) =>
        !cancel.IsCancellationRequested && e is HttpRequestException or IOException or OperationCanceledException;
}
