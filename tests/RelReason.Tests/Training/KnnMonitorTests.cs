using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tests.Cli;
using RelReason.Training;
using RelReason.Training.Reporting;

namespace RelReason.Tests.Training;

/// <summary>
/// The k-NN monitor of pretraining: it reads the backbone as the knn command would, at the epochs asked for, and
/// changes nothing that training depends on.
/// </summary>
public class KnnMonitorTests
{
    private string _root = null!;
    private TinyDataset _tiny = null!;

    [SetUp]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("relreason-knn-").FullName;
        _tiny = TinyDataset.Write(Path.Combine(_root, "data"));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private PretrainOptions Options(int knnEvery) => new()
    {
        Dataset = "default", DataPath = _tiny.Path, K = 2, M = 8, Epochs = 3, LogEvery = 2, Device = "cpu",
        Threads = 2, Seed = 3, KnnEvery = knnEvery,
    };

    [Test]
    public void MonitoringChangesNoTrainingNumber()
    {
        using var cpu = new CpuBackend(2);
        (Dictionary<string, float[]> State, double[] Losses) Train(int knnEvery, string name)
        {
            using var run = PretrainRun.Start(Options(knnEvery), cpu, Path.Combine(_root, name), null);
            run.Run(CancellationToken.None);
            var state = StateDict.Read(run.Trainer.Backbone, "backbone.")
                .Concat(StateDict.Read(run.Trainer.Head, "relation.")).ToDictionary(e => e.Name, e => e.Values);
            var losses = run.Folder.ReadMetrics().Where(m => m.Values.ContainsKey("loss")).Select(m => m["loss"]);
            return (state, losses.ToArray());
        }
        var quiet = Train(0, "quiet");
        var watched = Train(1, "watched");

        Assert.That(watched.Losses, Is.EqualTo(quiet.Losses));
        Assert.That(watched.State.Keys, Is.EquivalentTo(quiet.State.Keys));
        foreach (var (name, values) in quiet.State)
        {
            Assert.That(watched.State[name], Is.EqualTo(values), name + ", running statistics included");
        }
    }

    [Test]
    public void ReadingsMatchTheKnnOfTheFinalBackbone()
    {
        using var cpu = new CpuBackend(2);
        using var run = PretrainRun.Start(Options(2), cpu, Path.Combine(_root, "run"), null);
        run.Run(CancellationToken.None);
        var readings = run.Folder.ReadMetrics().Where(m => m.Values.ContainsKey(Plots.KnnKey)).ToList();

        // 5 steps per epoch: after epoch 2, and at the end of the run (epoch 3).
        Assert.That(readings.Select(m => m.Step), Is.EqualTo(new long[] { 10, 15 }));
        var train = RelReason.Data.DatasetCatalog.Open("default", "train", new() { Path = _tiny.Path });
        var test = RelReason.Data.DatasetCatalog.Open("default", "test", new() { Path = _tiny.Path });
        var norm = run.Trainer.Augment with { };
        var gallery = FeatureExtractor.Extract(run.Trainer.Backbone, train, norm, 2);
        var queries = FeatureExtractor.Extract(run.Trainer.Backbone, test, norm, 2);
        var expected = NearestNeighbours.Evaluate(cpu, gallery, queries, KnnMonitor.Neighbours);

        Assert.That(readings[^1][Plots.KnnKey], Is.EqualTo(expected.Accuracy));
        Assert.That(run.LastKnn!.Accuracy, Is.EqualTo(expected.Accuracy));
        Assert.That((run.LastKnn.Queries, run.LastKnn.Gallery, run.LastKnn.K),
            Is.EqualTo((TinyDataset.TestCount, TinyDataset.TrainCount, 20)));
        Assert.That(run.Trainer.Backbone.IsTraining, Is.True, "the backbone is back in training mode");
    }

    [Test]
    public void AStopBeforeTheEndOfAnEpochStillEndsWithAReading()
    {
        using var cpu = new CpuBackend(2);
        using var run = PretrainRun.Start(Options(5) with { MaxSteps = 7 }, cpu, Path.Combine(_root, "short"), null);
        run.Run(CancellationToken.None);
        var readings = run.Folder.ReadMetrics().Where(m => m.Values.ContainsKey(Plots.KnnKey)).ToList();

        Assert.That(readings.Select(m => (m.Step, m["epoch"])), Is.EqualTo(new[] { (7L, 2.0) }));
    }
}
