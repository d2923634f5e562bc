using RelReason.Training.Reporting;

namespace RelReason.Tests.Cli;

/// <summary>`relreason runs`: a folder of runs summarised, one line each, from what the run folders hold.</summary>
public class RunsCliTests : CliTestBase
{
    [Test]
    public void ListsEachRunWithItsProgressAndEvaluations()
    {
        // A finished run with --linear-eval (pretrained and random-init records), and one stopped by --max-steps
        // before the end of its epochs.
        CliRunner.Expect(0, Pretrain(Dir, "a-done", [.. Tiny.Options, "--epochs", "2", "--knn-every", "1",
            "--linear-eval", "--eval-epochs", "2"]));
        CliRunner.Expect(0, Pretrain(Dir, "b-short", [.. Tiny.Options, "--epochs", "3", "--max-steps", "2"]));
        // What a run of 3 epochs killed after a checkpoint at step 2 leaves: the same files without --max-steps.
        CliRunner.Expect(0, Pretrain(Dir, "c-killed", [.. Tiny.Options, "--epochs", "3", "--max-steps", "2"]));
        string config = Path.Combine(File("c-killed"), "config.json");
        System.IO.File.WriteAllText(config, System.IO.File.ReadAllText(config)
            .Replace("\"max_steps\": 2", "\"max_steps\": 0", StringComparison.Ordinal));
        Directory.CreateDirectory(File("not-a-run"));

        var run = CliRunner.Expect(0, "runs", Dir, "--json");
        var lines = run.OutLines.ToList();
        Assert.That(lines[0], Does.StartWith("run").And.Contain("pair acc").And.Contain("linear"));
        Assert.That(lines[1], Does.StartWith("a-done").And.Contain("default").And.Contain("2 x 8").And.Contain("2/2 "));
        Assert.That(lines[2], Does.StartWith("b-short").And.Contain(" 0/3 "), "2 of 5 steps: no epoch done yet");
        Assert.That(lines[3], Does.StartWith("c-killed").And.Contain(" 0/3+ "));
        Assert.That(run.Out, Does.Contain("+: not finished"));
        Assert.That(run.Out, Does.Not.Contain("not-a-run"));

        var json = run.LastJson();
        var rows = json.GetProperty("runs").EnumerateArray().ToList();
        Assert.That(rows.Select(r => r.GetProperty("name").GetString()), Is.EqualTo(new[] { "a-done", "b-short", "c-killed" }));
        var records = EvaluationLog.Read(File("a-done"));
        Assert.That(records.Select(r => (r.Kind, r.RandomInit)),
            Is.EqualTo(new[] { ("linear-eval", false), ("linear-eval", true) }));
        var done = rows[0];
        Assert.That(done.GetProperty("finished").GetBoolean(), Is.True);
        Assert.That(done.GetProperty("steps").GetInt64(), Is.EqualTo(10));
        Assert.That(done.GetProperty("linear_eval_accuracy").GetDouble(), Is.EqualTo(records[0].Accuracy));
        Assert.That(done.GetProperty("random_init_accuracy").GetDouble(), Is.EqualTo(records[1].Accuracy));
        var knn = MetricsLog.Read(Path.Combine(File("a-done"), MetricsLog.FileName)).Last(m =>
            m.Values.ContainsKey(Plots.KnnKey))[Plots.KnnKey];
        Assert.That(done.GetProperty("knn_accuracy").GetDouble(), Is.EqualTo(knn));
        var shortRun = rows[1];
        Assert.That(shortRun.GetProperty("finished").GetBoolean(), Is.True, "--max-steps 2 reached");
        Assert.That(shortRun.GetProperty("linear_eval_accuracy").ValueKind,
            Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(rows[2].GetProperty("finished").GetBoolean(), Is.False);
    }

    [Test]
    public void ADamagedFileIsNamedAndTheOtherRunsStillListed()
    {
        TinyRun("good");
        string bad = TinyRun("bad");
        System.IO.File.WriteAllText(Path.Combine(bad, EvaluationLog.FileName), "{not json\n");

        var run = CliRunner.Expect(0, "runs", Dir);
        Assert.That(run.OutLines.Count(l => l.StartsWith("bad", StringComparison.Ordinal) ||
            l.StartsWith("good", StringComparison.Ordinal)), Is.EqualTo(2));
        Assert.That(run.Error, Does.Contain($"bad: {EvaluationLog.FileName}: ").And.Contain("line 1"));
    }

    [Test]
    public void AnEmptyOrMissingFolderIsSaid()
    {
        var empty = CliRunner.Expect(0, "runs", Dir);
        Assert.That(empty.Out, Does.Contain("no runs in"));
        var missing = CliRunner.Expect(1, "runs", File("nowhere"));
        Assert.That(missing.Error, Does.Contain($"{File("nowhere")}: no such folder of runs"));
    }
}
