using System.Runtime.InteropServices;
using RelReason.Training.Checkpoints;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Cli;

/// <summary>
/// `relreason pretrain` as a separate process, stopped by signals: Ctrl-C (SIGINT) and SIGTERM finish the step,
/// write a checkpoint and say how to resume; after kill -9 the run resumes from its last periodic checkpoint to
/// the numbers and tensors of a run that was never interrupted.
/// </summary>
public class SignalTests : CliTestBase
{
    [OneTimeSetUp]
    public void NeedsPosixSignals()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Assert.Ignore("sends POSIX signals with kill(2)");
        }
    }

    private static IReadOnlyList<MetricsRecord> Metrics(string folder) =>
        MetricsLog.Read(Path.Combine(folder, MetricsLog.FileName));

    [TestCase(CliProcess.SigInt, 130, "Ctrl-C")]
    [TestCase(CliProcess.SigTerm, 143, "SIGTERM")]
    public void ASignalStopsWithACheckpointAndSaysHowToResume(int signal, int exitCode, string name)
    {
        string folder = File("stopped");
        // 5,000 steps: far more than the test waits for.
        using var child = CliProcess.Start(Dir, Pretrain(Dir, "stopped", [.. Tiny.Options, "--epochs", "1000",
            "--log-every", "1"]));
        child.WaitForLine(l => l.Contains("| step ", StringComparison.Ordinal), "a training step");
        if (child.Ignores(signal))
        {
            Assert.Ignore($"signal {signal} is ignored by the child, inherited from this process (a background job " +
                "without job control); it cannot stop the run here");
        }
        child.Signal(signal);
        Assert.That(child.WaitForExit(), Is.EqualTo(exitCode), child.Transcript);

        string last = Path.Combine(folder, RunFolder.LastCheckpointName);
        var info = Checkpoint.ReadInfo(last);
        Assert.That(info.Step, Is.InRange(1, 4999));
        Assert.That(child.Transcript, Does.Contain($"interrupted: checkpoint {last} at step {info.Step}; " +
            $"continue with: relreason pretrain --resume {folder}"));
        Assert.That(child.Transcript, Does.Contain($"{name}: stopping after this step"));
        Assert.That(Metrics(folder)[^1].Step, Is.EqualTo(info.Step), "the stopped step was logged and saved");

        var resumed = CliRunner.Expect(0, "pretrain", "--resume", folder, "--max-steps", (info.Step + 2).ToString(),
            "--json");
        Assert.That(resumed.LastJson().GetProperty("steps").GetInt64(), Is.EqualTo(info.Step + 2));
        Assert.That(Metrics(folder).Select(m => m.Step), Is.EqualTo(Enumerable.Range(1, (int)info.Step + 2)
            .Select(s => (long)s)));
    }

    [Test]
    public void AKilledRunResumesToTheNumbersOfAnUninterruptedOne()
    {
        // 8 epochs of 5 steps; checkpoints every 2 steps and at the quarter epochs; a log line every 3 steps, so
        // a checkpoint falls inside a logging interval whose sums must survive the kill.
        string[] options = [.. Tiny.Options, "--epochs", "8", "--log-every", "3", "--checkpoint-every", "2"];
        CliRunner.Expect(0, Pretrain(Dir, "full", options));

        string killed = File("killed");
        using (var child = CliProcess.Start(Dir, Pretrain(Dir, "killed", options)))
        {
            child.WaitForLine(l => l.Contains("checkpoint (step 2)", StringComparison.Ordinal), "the first checkpoint");
            child.Signal(CliProcess.SigKill);
            Assert.That(child.WaitForExit(), Is.EqualTo(128 + CliProcess.SigKill));
        }
        long killedAt = Checkpoint.ReadInfo(Path.Combine(killed, RunFolder.LastCheckpointName)).Step;
        Assert.That(killedAt, Is.InRange(2, 39), "killed before the end");

        var resumed = CliRunner.Expect(0, "pretrain", "--resume", killed);
        Assert.That(resumed.Out, Does.Contain($"resuming after step {killedAt}"));

        var expected = Metrics(File("full"));
        var actual = Metrics(killed);
        Assert.That(actual.Select(m => m.Step), Is.EqualTo(expected.Select(m => m.Step)));
        string[] timing = ["views_per_second", "ms_per_step"];
        for (int i = 0; i < expected.Count; i++)
        {
            var want = expected[i].Values.Where(p => !timing.Contains(p.Key));
            var got = actual[i].Values.Where(p => !timing.Contains(p.Key));
            Assert.That(got, Is.EquivalentTo(want), $"metrics at step {expected[i].Step}");
        }

        var files = Directory.GetFiles(File("full"), "*.safetensors").Select(f => Path.GetFileName(f)).Order()
            .ToList();
        Assert.That(files, Does.Contain("last.safetensors").And.Contain("epoch-0004.safetensors"));
        Assert.That(Directory.GetFiles(killed, "*.safetensors").Select(Path.GetFileName).Order(), Is.EqualTo(files));
        foreach (string name in files)
        {
            AssertSameTensors(Path.Combine(File("full"), name), Path.Combine(killed, name));
        }
    }

    /// <summary>Same tensor names in the same order, and every tensor bit for bit.</summary>
    private static void AssertSameTensors(string expected, string actual)
    {
        using var a = SafetensorsFile.Open(expected);
        using var b = SafetensorsFile.Open(actual);
        Assert.That(b.Names, Is.EqualTo(a.Names), actual);
        foreach (string name in a.Names)
        {
            Assert.That(b[name].Shape, Is.EqualTo(a[name].Shape), $"{actual}: {name}");
            bool same = a[name].DType == SafetensorsDType.F32
                ? MemoryMarshal.AsBytes(a.ReadF32(name).AsSpan())
                    .SequenceEqual(MemoryMarshal.AsBytes(b.ReadF32(name).AsSpan()))
                : a.ReadI64(name).AsSpan().SequenceEqual(b.ReadI64(name));
            Assert.That(same, Is.True, $"{actual}: {name} differs from the uninterrupted run");
        }
        Assert.That(Checkpoint.ReadInfo(actual).Step, Is.EqualTo(Checkpoint.ReadInfo(expected).Step));
    }
}
