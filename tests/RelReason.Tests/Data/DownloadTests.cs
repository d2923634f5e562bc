using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using RelReason.Data.Download;

namespace RelReason.Tests.Data;

public class DownloadTests
{
    // Incompressible, so archives are larger than the cut points the tests use.
    private static readonly byte[] Payload = RandomBytes(5000);

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        new Random(42).NextBytes(bytes);
        return bytes;
    }

    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    private static byte[] TarGz(params (string Name, byte[] Data)[] entries)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };
                tar.WriteEntry(entry);
            }
        }
        return ms.ToArray();
    }

    private static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(data);
            }
        }
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }
        return ms.ToArray();
    }

    private static DatasetSource Source(LoopbackHttpServer server, string file, byte[] expected, Packing packing,
        bool archiveHasFolder = true) =>
        new("tinyset", server.BaseUrl, "tinyset", [new RemoteFile(file, Md5(expected), packing)], archiveHasFolder);

    private static FetchOptions Options(string root, int attempts = 1, List<FetchProgress>? progress = null) => new()
    {
        Root = root,
        Progress = progress is null ? null : progress.Add,
        Downloader = new HttpDownloader
        {
            MaxAttempts = attempts,
            RetryDelay = TimeSpan.Zero,
            IdleTimeout = TimeSpan.FromSeconds(10),
        },
    };

    /// <summary>Only the dataset folder (and .downloads) may remain: no staging or old copies.</summary>
    private static void AssertNoLeftovers(string root)
    {
        var names = Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName) : [];
        Assert.That(names, Has.None.StartsWith(".staging").And.None.StartsWith(".old"));
    }

    [Test]
    public async Task GoodTarGzIsVerifiedUnpackedAndMovedIntoPlace()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        byte[] archive = TarGz(("tinyset/a.bin", Payload), ("tinyset/sub/b.txt", Encoding.ASCII.GetBytes("hi")));
        server.Serve("tinyset.tar.gz", archive);
        var progress = new List<FetchProgress>();

        var result = await DatasetFetcher.FetchAsync(Source(server, "tinyset.tar.gz", archive, Packing.TarGz),
            Options(dir.Path, progress: progress));

        Assert.That(result.AlreadyPresent, Is.False);
        Assert.That(result.Folder, Is.EqualTo(Path.Combine(dir.Path, "tinyset")));
        Assert.That(File.ReadAllBytes(Path.Combine(result.Folder, "a.bin")), Is.EqualTo(Payload));
        Assert.That(File.ReadAllText(Path.Combine(result.Folder, "sub", "b.txt")), Is.EqualTo("hi"));
        // The archive is removed once unpacked.
        Assert.That(Directory.GetFiles(Path.Combine(dir.Path, DatasetFetcher.DownloadsFolder)), Is.Empty);
        AssertNoLeftovers(dir.Path);
        var last = progress.Last(p => p.Phase == FetchPhase.Download);
        Assert.That((last.Done, last.Total), Is.EqualTo(((long)archive.Length, (long?)archive.Length)));
        Assert.That(progress.Any(p => p.Phase == FetchPhase.Verify), Is.True);

        var again = await DatasetFetcher.FetchAsync(Source(server, "tinyset.tar.gz", archive, Packing.TarGz),
            Options(dir.Path));
        Assert.That(again.AlreadyPresent, Is.True);
        Assert.That(server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void ChecksumMismatchLeavesNothing()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        byte[] archive = TarGz(("tinyset/a.bin", Payload));
        byte[] corrupt = (byte[])archive.Clone();
        corrupt[^10] ^= 0xFF;
        server.Serve("tinyset.tar.gz", corrupt);

        var e = Assert.ThrowsAsync<ChecksumMismatchException>(() => DatasetFetcher.FetchAsync(
            Source(server, "tinyset.tar.gz", archive, Packing.TarGz), Options(dir.Path)));
        Assert.That(e!.Expected, Is.EqualTo(Md5(archive)));
        Assert.That(e.Actual, Is.EqualTo(Md5(corrupt)));
        Assert.That(e.Message, Does.Contain("tinyset.tar.gz"));
        Assert.That(Directory.Exists(Path.Combine(dir.Path, "tinyset")), Is.False);
        Assert.That(Directory.GetFiles(Path.Combine(dir.Path, DatasetFetcher.DownloadsFolder)), Is.Empty,
            "the corrupt .part must be deleted");
        AssertNoLeftovers(dir.Path);
    }

    [TestCase("tar")]
    [TestCase("zip")]
    public void EntryEscapingTheTargetIsRefusedAndNothingIsKept(string kind)
    {
        using var dir = new TempFolder();
        string root = Path.Combine(dir.Path, "root");
        using var server = new LoopbackHttpServer();
        var entries = new[] { ("tinyset/ok.bin", Payload), ("../evil", Encoding.ASCII.GetBytes("x")) };
        byte[] archive = kind == "tar" ? TarGz(entries) : Zip(entries);
        string file = kind == "tar" ? "tinyset.tar.gz" : "tinyset.zip";
        server.Serve(file, archive);

        var e = Assert.ThrowsAsync<UnsafeArchiveException>(() => DatasetFetcher.FetchAsync(
            Source(server, file, archive, kind == "tar" ? Packing.TarGz : Packing.Zip), Options(root)));
        Assert.That(e!.Entry, Is.EqualTo("../evil"));
        Assert.That(e.Message, Does.Contain(file).And.Contain(".."));
        Assert.That(File.Exists(Path.Combine(dir.Path, "evil")), Is.False);
        Assert.That(File.Exists(Path.Combine(root, "evil")), Is.False);
        Assert.That(Directory.Exists(Path.Combine(root, "tinyset")), Is.False);
        AssertNoLeftovers(root);
    }

    [TestCase("/etc/passwd")]
    [TestCase("a/../../b")]
    [TestCase("C:/windows")]
    [TestCase("..\\up")]
    public void UnsafeEntryNamesAreRefused(string name)
    {
        using var dir = new TempFolder();
        Assert.Throws<UnsafeArchiveException>(() => ArchiveExtractor.SafePath("x.tar.gz", dir.Path, name));
    }

    [Test]
    public void SafeEntryNameStaysInside()
    {
        using var dir = new TempFolder();
        string path = ArchiveExtractor.SafePath("x.tar.gz", dir.Path, "a/./b/c.bin");
        Assert.That(path, Is.EqualTo(Path.Combine(dir.Path, "a", "b", "c.bin")));
    }

    [Test]
    public async Task InterruptedTransferKeepsThePartAndResumesWithRange()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        byte[] archive = TarGz(("tinyset/a.bin", Payload), ("tinyset/b.bin", Payload.Reverse().ToArray()));
        server.Serve("tinyset.tar.gz", archive, cutAfter: 1000, cuts: 1);
        var source = Source(server, "tinyset.tar.gz", archive, Packing.TarGz);

        var e = Assert.ThrowsAsync<DownloadException>(() => DatasetFetcher.FetchAsync(source, Options(dir.Path)));
        Assert.That(e!.Resumable, Is.True);
        string part = Path.Combine(dir.Path, DatasetFetcher.DownloadsFolder, "tinyset.tar.gz.part");
        Assert.That(new FileInfo(part).Length, Is.EqualTo(1000));
        Assert.That(Directory.Exists(Path.Combine(dir.Path, "tinyset")), Is.False);

        var result = await DatasetFetcher.FetchAsync(source, Options(dir.Path));
        Assert.That(server.Requests.Select(r => r.Range), Is.EqualTo(new[] { null, "bytes=1000-" }));
        Assert.That(File.ReadAllBytes(Path.Combine(result.Folder, "b.bin")), Is.EqualTo(Payload.Reverse()));
        Assert.That(File.Exists(part), Is.False);
    }

    [Test]
    public async Task RetriesWithinOneFetchResumeEachTime()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        byte[] archive = TarGz(("tinyset/a.bin", Payload));
        // Each of the first two responses delivers 300 more bytes before the connection drops.
        server.Serve("tinyset.tar.gz", archive, cutAfter: 300, cuts: 2);
        await DatasetFetcher.FetchAsync(Source(server, "tinyset.tar.gz", archive, Packing.TarGz),
            Options(dir.Path, attempts: 3));
        Assert.That(server.Requests.Select(r => r.Range), Is.EqualTo(new[] { null, "bytes=300-", "bytes=600-" }));
        Assert.That(File.ReadAllBytes(Path.Combine(dir.Path, "tinyset", "a.bin")), Is.EqualTo(Payload));
    }

    [Test]
    public async Task ServerWithoutRangesRestartsFromZero()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        byte[] archive = TarGz(("tinyset/a.bin", Payload));
        server.Serve("tinyset.tar.gz", archive, cutAfter: 500, cuts: 1, ranges: false);
        await DatasetFetcher.FetchAsync(Source(server, "tinyset.tar.gz", archive, Packing.TarGz),
            Options(dir.Path, attempts: 2));
        Assert.That(File.ReadAllBytes(Path.Combine(dir.Path, "tinyset", "a.bin")), Is.EqualTo(Payload));
    }

    [Test]
    public async Task ZipGzipAndKeptFilesLandInTheDatasetFolder()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        byte[] zip = Zip(("tinyset/", []), ("tinyset/z.bin", Payload));
        server.Serve("tinyset.zip", zip);
        await DatasetFetcher.FetchAsync(Source(server, "tinyset.zip", zip, Packing.Zip), Options(dir.Path));
        Assert.That(File.ReadAllBytes(Path.Combine(dir.Path, "tinyset", "z.bin")), Is.EqualTo(Payload));

        using var other = new TempFolder();
        byte[] gz = Gzip(Payload);
        server.Serve("plain.bin.gz", gz);
        server.Serve("kept.gz", gz);
        var source = new DatasetSource("tinyset", server.BaseUrl, "tinyset",
            [new RemoteFile("plain.bin.gz", Md5(gz), Packing.Gzip), new RemoteFile("kept.gz", Md5(gz), Packing.Keep)],
            ArchiveHasFolder: false);
        var result = await DatasetFetcher.FetchAsync(source, Options(other.Path) with { KeepArchives = true });
        Assert.That(File.ReadAllBytes(Path.Combine(result.Folder, "plain.bin")), Is.EqualTo(Payload));
        Assert.That(File.ReadAllBytes(Path.Combine(result.Folder, "kept.gz")), Is.EqualTo(gz));
        Assert.That(File.Exists(Path.Combine(other.Path, DatasetFetcher.DownloadsFolder, "kept.gz")), Is.True);
    }

    [Test]
    public void ForcedRefetchThatFailsKeepsTheOldCopy()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        string existing = Path.Combine(dir.Path, "tinyset");
        Directory.CreateDirectory(existing);
        File.WriteAllText(Path.Combine(existing, "old.txt"), "old");
        byte[] archive = TarGz(("wrongname/a.bin", Payload));
        server.Serve("tinyset.tar.gz", archive);

        var e = Assert.ThrowsAsync<DownloadException>(() => DatasetFetcher.FetchAsync(
            Source(server, "tinyset.tar.gz", archive, Packing.TarGz), Options(dir.Path) with { Force = true }));
        Assert.That(e!.Message, Does.Contain("did not contain the folder tinyset/"));
        Assert.That(File.ReadAllText(Path.Combine(existing, "old.txt")), Is.EqualTo("old"));
        AssertNoLeftovers(dir.Path);
    }

    [Test]
    public void HttpErrorIsNotResumable()
    {
        using var dir = new TempFolder();
        using var server = new LoopbackHttpServer();
        var e = Assert.ThrowsAsync<DownloadException>(() => DatasetFetcher.FetchAsync(
            Source(server, "missing.tar.gz", Payload, Packing.TarGz), Options(dir.Path, attempts: 3)));
        Assert.That(e!.Resumable, Is.False);
        Assert.That(e.Message, Does.Contain("404"));
        Assert.That(server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void KnownSourcesCarryMethodChecksumsAndRefuseLocalDatasets()
    {
        Assert.That(DatasetSources.For("cifar10").Files.Single().Md5, Is.EqualTo("c32a1d4ab5d03f1284b67883e8d87530"));
        Assert.That(DatasetSources.For("cifar100-20").FolderName, Is.EqualTo("cifar-100-binary"));
        Assert.That(DatasetSources.For("stl10", "http://127.0.0.1:1/m").BaseUrl, Is.EqualTo("http://127.0.0.1:1/m/"));
        Assert.That(DatasetSources.For("fashion-mnist").Files, Has.Count.EqualTo(4));
        var e = Assert.Throws<ArgumentException>(() => DatasetSources.For("default"));
        Assert.That(e!.Message, Does.Contain("ships with RelReason"));
    }
}
