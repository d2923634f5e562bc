using RelReason.Training.Reporting;

namespace RelReason.Tests.Training;

/// <summary>evaluations.jsonl: records round-trip, a torn last line is skipped, a damaged one is named.</summary>
public class EvaluationLogTests
{
    private string _root = null!;

    [SetUp]
    public void Setup() => _root = Directory.CreateTempSubdirectory("relreason-evals-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private static EvaluationRecord Knn(double accuracy) => new()
    {
        Kind = "knn", Checkpoint = "/runs/a/last.safetensors", Step = 40, Dataset = "cifar10",
        TrainSplit = "cifar10/train", TestSplit = "cifar10/test", Accuracy = accuracy,
        Settings = new() { ["k"] = 20 }, Scores = new() { ["map_at_k"] = 0.25 },
    };

    [Test]
    public void RecordsRoundTripInOrderWithTheirTime()
    {
        EvaluationLog.Append(_root, Knn(0.5));
        string path = EvaluationLog.Append(_root, Knn(0.625) with { RandomInit = true, Checkpoint = "" });

        var read = EvaluationLog.Read(_root);
        Assert.That(path, Is.EqualTo(Path.Combine(_root, EvaluationLog.FileName)));
        Assert.That(read.Select(r => (r.Accuracy, r.RandomInit)), Is.EqualTo(new[] { (0.5, false), (0.625, true) }));
        Assert.That((read[0].Kind, read[0].Step, read[0].TestSplit), Is.EqualTo(("knn", 40L, "cifar10/test")));
        Assert.That(read[0].Settings["k"], Is.EqualTo(20));
        Assert.That(read[0].Scores["map_at_k"], Is.EqualTo(0.25));
        Assert.That(DateTimeOffset.Parse(read[1].Time, System.Globalization.CultureInfo.InvariantCulture),
            Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(5)));
        Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(2), "one line a record");
    }

    [Test]
    public void ATornLastLineIsSkippedAndADamagedOneNamed()
    {
        EvaluationLog.Append(_root, Knn(0.5));
        string path = Path.Combine(_root, EvaluationLog.FileName);
        File.AppendAllText(path, "{\"kind\":\"kn");
        Assert.That(EvaluationLog.Read(_root), Has.Count.EqualTo(1), "a line killed while being written");

        File.AppendAllText(path, "\n");
        var ex = Assert.Throws<InvalidDataException>(() => EvaluationLog.Read(_root));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("line 2"));
        Assert.That(EvaluationLog.Read(Path.Combine(_root, "absent")), Is.Empty);
    }
}
