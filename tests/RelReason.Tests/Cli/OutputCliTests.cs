using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using RelReason.Data.Preview;
using RelReason.Tests.Data;
using RelReason.Training.Checkpoints;

namespace RelReason.Tests.Cli;

/// <summary>
/// embed, data and bench through Program.Main: the files they write (checked byte by byte or decoded), what they
/// print, and their failures.
/// </summary>
public class OutputCliTests : CliTestBase
{
    private string _checkpoint = null!;

    [OneTimeSetUp]
    public void Pretrain()
    {
        CliRunner.Expect(0, Pretrain(FixtureDir, "tiny", [.. Tiny.Options, "--max-steps", "2"]));
        _checkpoint = Path.Combine(FixtureDir, "tiny", "last.safetensors");
    }

    /// <summary>A NumPy 1.0 file: its header dictionary and the bytes after it.</summary>
    private static (string Header, byte[] Data) ReadNpy(string path)
    {
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        Assert.That(bytes[..6], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }));
        Assert.That(bytes[6..8], Is.EqualTo(new byte[] { 1, 0 }), "format version 1.0");
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.That((10 + length) % 64, Is.Zero, "data aligned to 64 bytes");
        string header = Encoding.ASCII.GetString(bytes, 10, length);
        Assert.That(header, Does.EndWith("\n"));
        return (header.TrimEnd(), bytes[(10 + length)..]);
    }

    [Test]
    public void EmbedWritesNpyWithLabelsAndTheSameFeaturesAsSafetensors()
    {
        string npy = File("test.npy");
        var run = CliRunner.Expect(0, ["embed", "--checkpoint", _checkpoint, "--out", npy, .. Cpu, "--json"]);
        var json = run.LastJson();
        int count = json.GetProperty("count").GetInt32();
        int dimension = json.GetProperty("dimension").GetInt32();
        Assert.That((json.GetProperty("file").GetString(), count, json.GetProperty("dataset").GetString()),
            Is.EqualTo((npy, TinyDataset.TestCount, "default/test")));

        var (header, data) = ReadNpy(npy);
        Assert.That(header,
            Is.EqualTo($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, {dimension}), }}"));
        Assert.That(data, Has.Length.EqualTo(count * dimension * sizeof(float)));
        var (labelHeader, labelData) = ReadNpy(Path.Combine(Dir, "test.labels.npy"));
        Assert.That(labelHeader, Is.EqualTo($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({count},), }}"));
        Assert.That(MemoryMarshal.Cast<byte, long>(labelData).ToArray(),
            Is.EqualTo(Tiny.TestLabels.Select(l => (long)l)));
        Assert.That(run.Out, Does.Contain($"labels in {Path.Combine(Dir, "test.labels.npy")}"));

        string st = File("test.safetensors");
        CliRunner.Expect(0, ["embed", "--checkpoint", _checkpoint, "--out", st, .. Cpu]);
        using var file = SafetensorsFile.Open(st);
        Assert.That(file["features"].Shape, Is.EqualTo(new[] { count, dimension }));
        Assert.That(file.ReadI64("labels"), Is.EqualTo(Tiny.TestLabels.Select(l => (long)l)));
        Assert.That(file.Metadata["dataset"], Is.EqualTo("default/test"));
        Assert.That(file.Metadata["classes"], Does.StartWith("T-shirt/top,Trouser,"));
        Assert.That(file.Metadata["backbone"], Does.StartWith($"conv4 from {_checkpoint}"));
        Assert.That(MemoryMarshal.AsBytes(file.ReadF32("features").AsSpan()).ToArray(), Is.EqualTo(data),
            "the same features, bit for bit, in both formats");
        Assert.That(file.ReadF32("features").All(float.IsFinite), Is.True);
    }

    [Test]
    public void EmbedOfAnotherSplit()
    {
        string st = File("train.safetensors");
        var json = CliRunner.Expect(0, ["embed", "--checkpoint", _checkpoint, "--split", "train", "--out", st, .. Cpu,
            "--json"]).LastJson();
        Assert.That(json.GetProperty("count").GetInt32(), Is.EqualTo(TinyDataset.TrainCount));
        using var file = SafetensorsFile.Open(st);
        Assert.That(file.ReadI64("labels"), Is.EqualTo(Tiny.TrainLabels.Select(l => (long)l)));
    }

    [TestCase("features.csv")]
    [TestCase("features")]
    [TestCase("features.npz")]
    public void EmbedRefusesAnUnknownExtension(string name)
    {
        string output = File(name);
        var run = CliRunner.Expect(2, ["embed", "--checkpoint", _checkpoint, "--out", output, .. Cpu]);
        Assert.That(run.Error, Does.Contain("--out must end in .safetensors or .npy").And.Contain(output));
        Assert.That(Directory.GetFileSystemEntries(Dir), Is.Empty, "nothing written");
    }

    [Test]
    public void EmbedNeedsAnOutputFile()
    {
        var run = CliRunner.Expect(2, ["embed", "--checkpoint", _checkpoint, .. Cpu]);
        Assert.That(run.Error, Does.Contain("embed needs --out FILE"));
    }

    [Test]
    public void DataInfoDescribesTheShippedDataset()
    {
        var run = CliRunner.Expect(0, "data", "info");
        Assert.That(run.Out, Does.StartWith("default: Fashion-MNIST subset"));
        Assert.That(run.OutLines, Has.Some.Match(@"^\s+train\s+4000 images\s+28x28x1\s+labelled$"));
        Assert.That(run.OutLines, Has.Some.Match(@"^\s+test\s+1000 images\s+28x28x1\s+labelled$"));
        Assert.That(run.Out, Does.Contain("classes  10: T-shirt/top, Trouser,"));

        var tiny = CliRunner.Expect(0, "data", "info", "default", "--path", Tiny.Path);
        Assert.That(tiny.OutLines, Has.Some.Match(@"^\s+train\s+40 images"));
        Assert.That(tiny.OutLines, Has.Some.Match(@"^\s+test\s+18 images"));

        string root = File("no-data");
        var missing = CliRunner.Expect(0, "data", "info", "cifar10", "--root", root);
        Assert.That(missing.Out, Does.Contain($"{Path.Combine(root, "cifar-10-batches-bin")} (missing)"));
        Assert.That(missing.OutLines, Has.Some.Match(@"^\s+train\s+absent: "));

        var unknown = CliRunner.Expect(1, "data", "info", "imagenet");
        Assert.That(unknown.Error, Does.Contain("unknown dataset 'imagenet'; known: default,"));
        Assert.That(unknown.Error, Does.Not.Contain("Parameter"));
    }

    [TestCase(0, 1, 4, 28 * 4, 28 * 4)]
    [TestCase(3, 1, 2, 4 * 56 + 5 * 4, 56 + 2 * 4)]
    [TestCase(10, 1, 1, 9 * 28 + 10 * 2, 2 * 28 + 3 * 2)]
    public void DataPreviewWritesAPngOfTheExpectedSize(int views, int seed, int scale, int width, int height)
    {
        // The raw image alone, or the image and its views in cells of side 28 with a 2-pixel border (scaled),
        // nine cells to a row.
        Assert.That(ImagePreview.Border, Is.EqualTo(2));
        string png = File("preview.png");
        var run = CliRunner.Expect(0, "data", "preview", "default", "--index", "5", "--views", views.ToString(),
            "--seed", seed.ToString(), "--scale", scale.ToString(), "--out", png);
        Assert.That(run.Out, Does.Contain($"wrote {png}: image 5 of default/train"));
        Assert.That(PngSize(png), Is.EqualTo((width, height)));
    }

    [Test]
    public void DataPreviewViewsDependOnTheSeedAlone()
    {
        byte[] Preview(string split, int seed)
        {
            string png = File($"{split}-{seed}.png");
            CliRunner.Expect(0, "data", "preview", "--split", split, "--index", "3", "--views", "4", "--seed",
                seed.ToString(), "--out", png);
            return System.IO.File.ReadAllBytes(png);
        }
        Assert.That(Preview("train", 1), Is.EqualTo(Preview("train", 1)));
        Assert.That(Preview("train", 2), Is.Not.EqualTo(Preview("train", 1)));
        Assert.That(Preview("test", 1), Is.Not.EqualTo(Preview("train", 1)), "another image");
    }

    [Test]
    public void DataPreviewShowsTheAugmentationStrengthsAsked()
    {
        byte[] Preview(params string[] strengths)
        {
            string png = File($"s{strengths.Length}{string.Concat(strengths)}.png");
            CliRunner.Expect(0, ["data", "preview", "--index", "3", "--views", "4", "--out", png, .. strengths]);
            return System.IO.File.ReadAllBytes(png);
        }
        var reference = Preview();
        Assert.That(Preview("--crop-min", "0.08", "--color-strength", "1"), Is.EqualTo(reference), "the defaults");
        Assert.That(Preview("--crop-min", "0.5"), Is.Not.EqualTo(reference));
        Assert.That(Preview("--color-strength", "0"), Is.Not.EqualTo(reference));
        var bad = CliRunner.Expect(2, "data", "preview", "--views", "2", "--crop-min", "2", "--out", File("x.png"));
        Assert.That(bad.Error, Does.Contain("--crop-min must be in (0, 1], got 2"));
    }

    [Test]
    public void DataPreviewFailures()
    {
        string png = File("p.png");
        var past = CliRunner.Expect(2, "data", "preview", "default", "--index", "4000", "--out", png);
        Assert.That(past.Error, Does.Contain("--index 4000 is past the end of default/train (4000 images)"));
        var negative = CliRunner.Expect(2, "data", "preview", "--index", "-1", "--out", png);
        Assert.That(negative.Error, Does.Contain("--index needs an integer >= 0, got '-1'"));
        var noOutput = CliRunner.Expect(2, "data", "preview", "--index", "1");
        Assert.That(noOutput.Error, Does.Contain("data preview needs --out FILE.png"));
        var split = CliRunner.Expect(1, "data", "preview", "--split", "unlabeled", "--out", png);
        Assert.That(split.Error, Does.Contain("has splits train, test; not 'unlabeled'"));
        Assert.That(System.IO.File.Exists(png), Is.False);
    }

    [Test]
    public void DataFetchFailuresNeedNoNetwork()
    {
        var unknown = CliRunner.Expect(1, "data", "fetch", "imagenet", "--root", Dir);
        Assert.That(unknown.Error, Does.Contain("no download source for 'imagenet'"));
        var shipped = CliRunner.Expect(1, "data", "fetch", "default", "--root", Dir);
        Assert.That(shipped.Error, Does.Contain("ships with RelReason; there is nothing to fetch"));
        var unnamed = CliRunner.Expect(2, "data", "fetch");
        Assert.That(unnamed.Error, Does.Contain("data fetch needs a dataset name: default, fashion-mnist,"));
        Assert.That(Directory.GetFileSystemEntries(Dir), Is.Empty);
    }

    [Test]
    public void DataFetchFromABadMirrorFailsAndKeepsTheOldCopy()
    {
        using var server = new LoopbackHttpServer();
        server.Serve("train-images-idx3-ubyte.gz", Encoding.ASCII.GetBytes("not the images"));
        string root = File("root");
        var fresh = CliRunner.Expect(1, "data", "fetch", "mnist", "--root", root, "--url", server.BaseUrl);
        Assert.That(fresh.Error, Does.StartWith("relreason: ").And.Contain("train-images-idx3-ubyte.gz"));
        Assert.That(server.Requests.Select(r => r.Path), Does.Contain("train-images-idx3-ubyte.gz"), "--url used");
        Assert.That(Directory.Exists(Path.Combine(root, "mnist")), Is.False, "no half-fetched dataset");

        string marker = Path.Combine(root, "mnist", "marker");
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        System.IO.File.WriteAllText(marker, "the old copy");
        var present = CliRunner.Expect(0, "data", "fetch", "mnist", "--root", root, "--url", server.BaseUrl);
        Assert.That(present.Out, Does.Contain($"mnist: already in {Path.Combine(root, "mnist")}"));
        CliRunner.Expect(1, "data", "fetch", "mnist", "--root", root, "--url", server.BaseUrl, "--force");
        Assert.That(System.IO.File.ReadAllText(marker), Is.EqualTo("the old copy"));
    }

    [Test]
    public void DataWithoutASubcommandShowsItsUsage()
    {
        var bare = CliRunner.Expect(2, "data");
        Assert.That(bare.Out, Does.Contain("relreason data preview NAME"));
        var help = CliRunner.Expect(0, "data", "--help");
        Assert.That(help.Out, Does.Contain("relreason data fetch NAME"));
        var unknown = CliRunner.Expect(2, "data", "download", "cifar10");
        Assert.That(unknown.Error, Does.Contain("unknown data subcommand 'download'"));
    }

    [Test]
    public void BenchJsonDescribesTheTimedSteps()
    {
        var run = CliRunner.Expect(0, "bench", "--k", "2", "--m", "3", "--size", "16", "--steps", "2", "--warmup",
            "1", "--threads", "2", "--device", "cpu", "--json");
        var json = run.LastJson();
        Assert.That(json.GetProperty("backbone").GetString(), Is.EqualTo("conv4"));
        Assert.That((json.GetProperty("k").GetInt32(), json.GetProperty("m").GetInt32(),
            json.GetProperty("threads").GetInt32()), Is.EqualTo((2, 3, 2)));
        Assert.That(json.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()),
            Is.EqualTo(new[] { 1, 16, 16 }));
        Assert.That(json.GetProperty("device").GetString(), Is.EqualTo("cpu"));
        Assert.That(json.GetProperty("backend").GetString(), Does.StartWith("cpu (2 threads"));
        Assert.That(json.GetProperty("parameters").GetInt64(), Is.GreaterThan(0));
        double median = json.GetProperty("median_ms").GetDouble();
        Assert.That(median, Is.GreaterThan(0));
        Assert.That(json.GetProperty("p90_ms").GetDouble(), Is.GreaterThanOrEqualTo(median));
        // Views per second follow from the median step: K * M views per step.
        Assert.That(json.GetProperty("views_per_second").GetDouble(), Is.EqualTo(6 / (median / 1000)).Within(1e-9)
            .Percent);
        Assert.That(json.GetProperty("peak_tensor_bytes").GetInt64(), Is.GreaterThan(0));
        Assert.That(json.GetProperty("peak_process_bytes").GetInt64(), Is.GreaterThan(0));
        Assert.That(run.Out, Does.Contain("| conv4    |"));
    }

    [Test]
    public void BenchProfilesColourInputsWithTheBceLoss()
    {
        var run = CliRunner.Expect(0, "bench", "--k", "2", "--m", "2", "--size", "16", "--channels", "3", "--loss",
            "bce", "--steps", "1", "--warmup", "0", "--threads", "2", "--profile", "--json");
        Assert.That(run.Out, Does.Contain("profile over 1 steps"));
        Assert.That(run.LastJson().GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()),
            Is.EqualTo(new[] { 3, 16, 16 }));
    }

    [Test]
    public void BenchRefusesAnInputTooSmallForTheBackbone()
    {
        var run = CliRunner.Expect(1, "bench", "--size", "4", "--k", "2", "--m", "2", "--steps", "1", "--threads", "2");
        Assert.That(run.Error, Does.Contain("conv4: input 4x4 is smaller than its total stride allows"));
    }

    [Test]
    public void InfoJsonRepeatsTheReportOnItsLastLine()
    {
        var run = CliRunner.Expect(0, "info", "--json");
        var json = run.LastJson();
        Assert.That(json.GetProperty("cpu").GetProperty("logical_cores").GetInt32(),
            Is.EqualTo(Environment.ProcessorCount));
        Assert.That(json.GetProperty("runtime").GetString(), Is.EqualTo(RuntimeInformation.FrameworkDescription));
        Assert.That(json.GetProperty("gpu").GetProperty("usable").GetBoolean(),
            Is.EqualTo(RelReason.Backends.Cuda.CudaProbe.Run().IsAvailable));
        Assert.That(run.OutLines.Count, Is.GreaterThan(3), "the text report comes first");
        Assert.That(CliRunner.Expect(0, "info").Out, Does.Not.Contain("{\""), "no JSON without --json");
    }

    [Test]
    public void SelfTestListsItsCasesAndRefusesAFilterThatMatchesNone()
    {
        var list = CliRunner.Expect(0, "selftest", "--list");
        Assert.That(list.OutLines, Is.EqualTo(RelReason.Diagnostics.SelfTestSuite.Cases.Select(c => c.Name)));
        var none = CliRunner.Expect(2, "selftest", "--only", "no such case");
        Assert.That(none.Error, Does.Contain("--only 'no such case' matches no case"));
    }

    [Test]
    public void SelfTestWithoutAGpuExitsWithThree()
    {
        if (RelReason.Backends.Cuda.CudaProbe.Run().IsAvailable)
        {
            Assert.Ignore("a GPU is usable here: the self-test would run instead of reporting its absence");
        }
        string first = RelReason.Diagnostics.SelfTestSuite.Cases[0].Name;
        var run = CliRunner.Expect(3, "selftest", "--only", first, "--threads", "2", "--json");
        Assert.That(run.Out, Does.StartWith("selftest: "));
        Assert.That(run.LastJson().ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Object));
    }

    [Test]
    public void CudaWithoutAGpuSaysWhy()
    {
        if (RelReason.Backends.Cuda.CudaProbe.Run().IsAvailable)
        {
            Assert.Ignore("a GPU is usable here: the no-GPU message cannot be produced");
        }
        var run = CliRunner.Expect(1, "bench", "--device", "cuda", "--steps", "1");
        Assert.That(run.Error, Does.Contain("--device cuda: no usable GPU"));
    }
}
