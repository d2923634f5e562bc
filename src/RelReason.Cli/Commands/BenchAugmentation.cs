using RelReason.Backends;
using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Cli.Commands;

/// <summary>
/// The augmentation op alone, as `relreason bench` measures it: K views of M synthetic images of side x side
/// (the crop side equals the image side) rendered by <see cref="IBackend.AugmentViews"/>: kernels/augment.cu on
/// the GPU (upload of the bytes included), the C# augmenter on the CPU backend's threads.
/// </summary>
internal static class BenchAugmentation
{
    /// <summary>Median milliseconds per call and views per second, or null when the channel count has no
    /// augmentation (it needs 1 or 3 channels).</summary>
    internal static (double MedianMs, double ViewsPerSecond)? Measure(IBackend backend, BackendTimer timer, int k,
        int m, int side, int channels, int warmup, int steps)
    {
        if (channels is not (1 or 3))
        {
            return null;
        }
        float[] half = Enumerable.Repeat(0.5f, channels).ToArray();
        var augmenter = new Augmenter(new AugmentOptions { Side = side, Mean = half, Std = half }, side, side,
            channels);
        var images = new byte[m * augmenter.ImageBytes];
        new Random(4).NextBytes(images);
        int[] ids = Enumerable.Range(0, m).ToArray();
        using Tensor views = backend.Empty(new Shape(k * m, channels, side, side));
        var times = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            timer.Start();
            // A new epoch per call, so no call repeats the previous one's draws.
            backend.AugmentViews(augmenter, images, ids, seed: 1, epoch: i, k, views);
            double ms = timer.Stop();
            if (i >= warmup)
            {
                times.Add(ms);
            }
        }
        times.Sort();
        double median = times[(times.Count - 1) / 2];
        return (median, k * m / (median / 1000));
    }
}
