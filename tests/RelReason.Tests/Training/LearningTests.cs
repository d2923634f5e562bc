using RelReason.Backends.Cpu;
using RelReason.Training;

namespace RelReason.Tests.Training;

/// <summary>Pretraining on real images learns: on the shipped Fashion-MNIST subset the loss falls and the pair
/// accuracy rises over a short run (the full 300-step run on all of Fashion-MNIST is a README command).</summary>
public class LearningTests
{
    [Test]
    public void ShortRunOnFashionMnistLowersTheLossAndRaisesPairAccuracy()
    {
        using var cpu = new CpuBackend(2);
        string folder = Path.Combine(Path.GetTempPath(), "relreason-learning-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new PretrainOptions
            {
                Dataset = "default", K = 4, M = 32, Epochs = 1, MaxSteps = 80, LogEvery = 10, Device = "cpu",
                Threads = 2, Seed = 3,
            };
            using var training = PretrainRun.Start(options, cpu, folder, null);
            training.Run(CancellationToken.None);
            var metrics = training.Folder.ReadMetrics();
            Assert.That(metrics, Has.Count.EqualTo(8));
            // Means over the first and last 20 steps: a single 10-step window is noisy at M = 32.
            double firstLoss = (metrics[0]["loss"] + metrics[1]["loss"]) / 2;
            double lastLoss = (metrics[^1]["loss"] + metrics[^2]["loss"]) / 2;
            double firstAcc = (metrics[0]["pair_accuracy"] + metrics[1]["pair_accuracy"]) / 2;
            double lastAcc = (metrics[^1]["pair_accuracy"] + metrics[^2]["pair_accuracy"]) / 2;
            Assert.That(lastLoss, Is.LessThan(0.9 * firstLoss), "loss");
            Assert.That(lastAcc, Is.GreaterThan(firstAcc + 0.05), "pair accuracy");
            Assert.That(lastAcc, Is.GreaterThan(0.6), "pair accuracy well above chance (0.5)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
