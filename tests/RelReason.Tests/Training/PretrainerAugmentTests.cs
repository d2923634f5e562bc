using RelReason.Backends.Cpu;
using RelReason.Training;

namespace RelReason.Tests.Training;

/// <summary>
/// Pretraining with views rendered by the backend (the GPU path: bytes in, views out on the device) against views
/// rendered by the loader: the same steps must give the same bits. Run on the CPU backend, whose op is the C#
/// augmenter, so the wiring (ids, epoch, seed, K, layout) is what is checked.
/// </summary>
public class PretrainerAugmentTests
{
    private sealed class Recorder : IPretrainSink
    {
        public List<float> Losses { get; } = [];

        public void Report(StepReport report) => Losses.Add(report.Loss);

        public void Checkpoint(Pretrainer run, string reason)
        {
        }
    }

    private static (List<float> Losses, float[] Weights, bool OnBackend) Train(bool augmentOnBackend)
    {
        // K * M = 30 views per step; the epoch's order is a seeded permutation, so the ids are not 0..M-1.
        var options = new PretrainOptions
        {
            K = 3,
            M = 10,
            Epochs = 3,
            MaxSteps = 4,
            LogEvery = 1,
            Threads = 2,
            Seed = 5,
            Device = "cpu",
        };
        using var backend = new CpuBackend(2);
        using var run = new Pretrainer(options, backend, null, augmentOnBackend);
        var sink = new Recorder();
        run.Run(sink, CancellationToken.None);
        float[] weights = run.Backbone.Parameters().Concat(run.Head.Parameters())
            .SelectMany(p => TestTensors.ToArray(backend, p)).ToArray();
        return (sink.Losses, weights, run.AugmentsOnBackend);
    }

    [Test]
    public void BackendAugmentation_GivesTheLoadersLossesAndWeightsBitForBit()
    {
        var loader = Train(augmentOnBackend: false);
        var backend = Train(augmentOnBackend: true);

        Assert.That(loader.OnBackend, Is.False);
        Assert.That(backend.OnBackend, Is.True);
        Assert.That(loader.Losses, Has.Count.EqualTo(4));
        Assert.That(backend.Losses, Is.EqualTo(loader.Losses));
        Assert.That(backend.Weights, Is.EqualTo(loader.Weights));
    }

    [Test]
    public void CpuBackend_KeepsRenderingInTheLoader()
    {
        using var backend = new CpuBackend(1);
        using var run = new Pretrainer(new PretrainOptions { K = 2, M = 4, Threads = 1 }, backend);

        Assert.That(run.AugmentsOnBackend, Is.False);
    }
}
