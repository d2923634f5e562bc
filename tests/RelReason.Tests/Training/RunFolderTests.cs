using System.Text.Json;
using System.Text.Json.Serialization;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tests.Data;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Training;

public sealed record TestRunOptions(string Backbone, int K, float LearningRate, string[] Tags);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TestRunOptions))]
internal sealed partial class TestRunJson : JsonSerializerContext;

public class RunFolderTests
{
    [Test]
    public void CreateMakesATimestampedFolderWithASafeUniqueName()
    {
        using var dir = new TempFolder();
        var when = new DateTimeOffset(2026, 3, 1, 14, 22, 33, TimeSpan.Zero);
        using var a = RunFolder.Create(dir.Path, "conv4 k=16/../x", echo: null, when);
        using var b = RunFolder.Create(dir.Path, "conv4 k=16/../x", echo: null, when);
        Assert.That(Path.GetFileName(a.Path), Is.EqualTo("20260301-142233-conv4-k-16-..-x"));
        Assert.That(Path.GetFileName(b.Path), Is.EqualTo("20260301-142233-conv4-k-16-..-x-2"));
        Assert.That(Path.GetDirectoryName(a.Path), Is.EqualTo(dir.Path));
        Assert.That(Directory.Exists(a.Path), Is.True);
    }

    [Test]
    public void ANonEmptyFolderIsNotTakenOver()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("x.txt"), "x");
        Assert.That(() => RunFolder.CreateAt(dir.Path, null),
            Throws.TypeOf<IOException>().With.Message.Contains("not empty"));
    }

    [Test]
    public void ConfigRoundTripsThroughSourceGeneratedJson()
    {
        using var dir = new TempFolder();
        using var run = RunFolder.CreateAt(dir.File("run"), null);
        var options = new TestRunOptions("conv4", 16, 1e-3f, ["a", "b"]);
        string compact = run.WriteConfig(options, TestRunJson.Default.TestRunOptions);
        Assert.That(compact, Does.StartWith("{\"backbone\":\"conv4\",\"k\":16,"));
        Assert.That(File.ReadAllText(run.ConfigPath), Does.Contain("\n  \"learning_rate\": 0.001"));
        var back = run.ReadConfig(TestRunJson.Default.TestRunOptions);
        Assert.That((back.Backbone, back.K, back.LearningRate), Is.EqualTo(("conv4", 16, 1e-3f)));
        Assert.That(back.Tags, Is.EqualTo(new[] { "a", "b" }));

        File.WriteAllText(run.ConfigPath, "{\"k\": \"many\"}");
        Assert.That(() => run.ReadConfig(TestRunJson.Default.TestRunOptions),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains(run.ConfigPath));
    }

    [Test]
    public void MetricsAreOneFlushedJsonObjectPerLine()
    {
        using var dir = new TempFolder();
        using var run = RunFolder.CreateAt(dir.File("run"), null);
        run.AppendMetrics(1, ("loss", 0.69), ("pair_accuracy", 0.5));
        run.AppendMetrics(2, ("loss", double.NaN), ("epoch", 0));

        // Readable by another process while the run goes on: nothing waits in a buffer.
        string[] lines = ReadShared(run.MetricsPath).Split('\n');
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[2], Is.Empty);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.That(first.RootElement.GetProperty("step").GetInt64(), Is.EqualTo(1));
            Assert.That(first.RootElement.GetProperty("loss").GetDouble(), Is.EqualTo(0.69));
            Assert.That(first.RootElement.GetProperty("time").GetString(), Does.EndWith("Z"));
        }
        Assert.That(lines[1], Does.Contain("\"loss\":null"));

        var records = run.ReadMetrics();
        Assert.That(records.Select(r => r.Step), Is.EqualTo(new[] { 1L, 2L }));
        Assert.That(records[0]["pair_accuracy"], Is.EqualTo(0.5));
        Assert.That(double.IsNaN(records[1]["loss"]), Is.True);
        Assert.That(double.IsNaN(records[1]["absent"]), Is.True);
    }

    [Test]
    public void ATornLastLineIsSkippedAndABadMiddleLineIsNamed()
    {
        using var dir = new TempFolder();
        string path = dir.File("metrics.jsonl");
        File.WriteAllText(path, "{\"step\":1,\"loss\":1}\n{\"step\":2,\"lo");
        Assert.That(MetricsLog.Read(path).Select(r => r.Step), Is.EqualTo(new[] { 1L }));

        File.WriteAllText(path, "{\"step\":1}\nnot json\n{\"step\":3}\n");
        Assert.That(() => MetricsLog.Read(path),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains(path + ": line 2"));
        File.WriteAllText(path, "{\"loss\":1}\n");
        Assert.That(() => MetricsLog.Read(path),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("no integer \"step\""));
    }

    [Test]
    public void LogLinesGoToTheEchoAndToLogTxt()
    {
        using var dir = new TempFolder();
        var echo = new StringWriter();
        using (var run = RunFolder.CreateAt(dir.File("run"), echo))
        {
            run.Log("epoch 1 | loss 0.5");
            run.Log("two\nlines");
            Assert.That(ReadShared(run.LogPath), Does.Contain(" epoch 1 | loss 0.5\n"));
        }
        string nl = Environment.NewLine;
        Assert.That(echo.ToString(), Is.EqualTo("epoch 1 | loss 0.5" + nl + "two\nlines" + nl));
        var log = File.ReadAllLines(dir.File(Path.Combine("run", "log.txt")));
        Assert.That(log, Has.Length.EqualTo(3));
        Assert.That(log[0], Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z epoch 1 \| loss 0\.5$"));
        Assert.That(log[2], Is.EqualTo("    lines"));
    }

    [Test]
    public void ResumeDropsMetricsAfterTheCheckpointAndAppends()
    {
        using var dir = new TempFolder();
        string folder = dir.File("run");
        using (var run = RunFolder.CreateAt(folder, null))
        {
            for (int step = 1; step <= 5; step++)
            {
                run.AppendMetrics(step, ("loss", 1.0 / step));
            }
            run.Log("before the kill");
        }
        // A kill while writing step 6 leaves a torn line; it goes too.
        File.AppendAllText(Path.Combine(folder, "metrics.jsonl"), "{\"step\":6,\"lo");

        using (var resumed = RunFolder.Resume(folder, checkpointStep: 3, echo: null))
        {
            resumed.AppendMetrics(4, ("loss", 0.2));
            Assert.That(resumed.ReadMetrics().Select(r => r.Step), Is.EqualTo(new[] { 1L, 2L, 3L, 4L }));
            Assert.That(resumed.ReadMetrics()[3]["loss"], Is.EqualTo(0.2));
        }
        var log = File.ReadAllText(Path.Combine(folder, "log.txt"));
        Assert.That(log, Does.Contain("before the kill").And.Contain("resuming after step 3"));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "metrics.jsonl", "log.txt" }));
    }

    [Test]
    public void CheckpointsAreListedByStep()
    {
        using var dir = new TempFolder();
        using var cpu = new CpuBackend(1);
        using var run = RunFolder.CreateAt(dir.File("run"), null);
        var backbone = new Conv4(cpu, 1, seed: 1);
        var info = new CheckpointInfo { Backbone = "conv4", InChannels = 1 };
        var modules = new CheckpointModules(backbone);
        Checkpoint.Save(run.EpochCheckpointPath(2), modules, info with { Step = 20, Epoch = 2 });
        Checkpoint.Save(run.LastCheckpointPath, modules, info with { Step = 30, Epoch = 3 });
        Checkpoint.Save(run.EpochCheckpointPath(1), modules, info with { Step = 10, Epoch = 1 });
        File.WriteAllText(run.File("junk.safetensors"), "junk");

        var list = run.ListCheckpoints();
        Assert.That(list.Select(c => Path.GetFileName(c.Path)),
            Is.EqualTo(new[] { "epoch-0001.safetensors", "epoch-0002.safetensors", "last.safetensors" }));
        Assert.That(list.Select(c => c.Info.Epoch), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(File.ReadAllText(run.LogPath), Does.Contain("skipping junk.safetensors"));
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }
}
