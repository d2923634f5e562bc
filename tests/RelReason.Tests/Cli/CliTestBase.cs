using RelReason.Tests.Data;

namespace RelReason.Tests.Cli;

/// <summary>
/// Shared set-up of the CLI tests: a <see cref="TinyDataset"/> per fixture, a fresh temporary folder per test
/// (run folders go there through --out), and the settings that keep each run to seconds on two cores.
/// </summary>
[NonParallelizable]
public abstract class CliTestBase
{
    private TempFolder _fixtureFolder = null!;
    private TempFolder _testFolder = null!;

    private protected TinyDataset Tiny { get; private set; } = null!;

    /// <summary>This test's temporary folder.</summary>
    private protected string Dir => _testFolder.Path;

    /// <summary>CPU, two threads: what every run here uses (and what resumed runs must keep).</summary>
    private protected static readonly string[] Cpu = ["--threads", "2", "--device", "cpu"];

    [OneTimeSetUp]
    public void CreateTinyDataset()
    {
        _fixtureFolder = new TempFolder();
        Tiny = TinyDataset.Write(_fixtureFolder.File("tiny-data"));
    }

    [OneTimeTearDown]
    public void DeleteTinyDataset() => _fixtureFolder.Dispose();

    [SetUp]
    public void CreateFolder() => _testFolder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _testFolder.Dispose();

    /// <summary>The fixture's temporary folder (runs shared by its tests).</summary>
    private protected string FixtureDir => _fixtureFolder.Path;

    private protected string File(string name) => System.IO.Path.Combine(Dir, name);

    /// <summary>Width and height of a PNG, decoded in full (so a truncated or malformed file fails).</summary>
    private protected static (int Width, int Height) PngSize(string path)
    {
        Assert.That(System.IO.File.Exists(path), Is.True, $"{path} was not written");
        using var image = SixLabors.ImageSharp.Image.Load(path);
        return (image.Width, image.Height);
    }

    /// <summary>`pretrain` into <paramref name="dir"/>/<paramref name="run"/>, K=2, M=8, CPU, then the rest.</summary>
    private protected static string[] Pretrain(string dir, string run, params string[] extra) =>
        ["pretrain", "--k", "2", "--m", "8", .. Cpu, "--out", dir, "--run", run, .. extra];

    /// <summary>
    /// A finished one-epoch run on the tiny dataset (5 steps), or <paramref name="maxSteps"/> steps, logging every
    /// step.
    /// </summary>
    private protected string TinyRun(string run, int maxSteps = 0)
    {
        CliRunner.Expect(0, Pretrain(Dir, run, [.. Tiny.Options, "--epochs", "1", "--log-every", "1",
            .. maxSteps > 0 ? new[] { "--max-steps", maxSteps.ToString() } : []]));
        return File(run);
    }
}
