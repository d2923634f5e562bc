using System.Runtime.InteropServices;
using RelReason.Backends.Cpu;
using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Tests.Engine;

/// <summary>The contract's augmentation op on the CPU backend: layout, thread independence, bad input.</summary>
public class AugmentViewsTests
{
    private static readonly AugmentOptions Options = new()
    {
        Side = 21,
        Mean = [0.4f, 0.5f, 0.6f],
        Std = [0.2f, 0.3f, 0.25f],
    };

    private static byte[] Images(int count, int bytes)
    {
        var data = new byte[count * bytes];
        new Random(11).NextBytes(data);
        return data;
    }

    [TestCase(1)]
    [TestCase(3)]
    public void Views_AreAugmentationMajor_AndTheAugmentersBits(int threads)
    {
        var augmenter = new Augmenter(Options, 30, 26, 3);
        const int m = 5, k = 4, seed = 77, epoch = 2;
        int[] ids = [40, 3, 999, 12, 0];
        byte[] images = Images(m, augmenter.ImageBytes);
        using var cpu = new CpuBackend(threads);
        using Tensor views = cpu.Empty(new Shape(k * m, 3, 21, 21));
        cpu.Fill(views, float.NaN);

        cpu.AugmentViews(augmenter, images, ids, seed, epoch, k, views);

        float[] actual = TestTensors.ToArray(cpu, views);
        var expected = new float[augmenter.ViewLength];
        for (int view = 0; view < k; view++)
        {
            for (int i = 0; i < m; i++)
            {
                augmenter.RenderView(seed, epoch, ids[i], view,
                    images.AsSpan(i * augmenter.ImageBytes, augmenter.ImageBytes), expected);
                ReadOnlySpan<float> row = actual.AsSpan((view * m + i) * augmenter.ViewLength, augmenter.ViewLength);
                Assert.That(MemoryMarshal.AsBytes(row).SequenceEqual(MemoryMarshal.AsBytes(expected.AsSpan())),
                    Is.True, $"row {view * m + i} is not view {view} of image {ids[i]}");
            }
        }
    }

    [Test]
    public void WrongImageBytes_NamesTheOpAndTheExpectedSize()
    {
        var augmenter = new Augmenter(Options, 30, 26, 3);
        using var cpu = new CpuBackend(1);
        using Tensor views = cpu.Empty(new Shape(6, 3, 21, 21));

        var e = Assert.Throws<ArgumentException>(() =>
            cpu.AugmentViews(augmenter, new byte[3 * augmenter.ImageBytes - 1], [1, 2, 3], 1, 0, 2, views))!;

        Assert.That(e.Message, Does.StartWith("augment views:").And.Contain("3 x 2340").And.Contain("30x26x3"));
    }

    [Test]
    public void WrongViewShape_NamesTheShapeExpected()
    {
        var augmenter = new Augmenter(Options, 30, 26, 3);
        using var cpu = new CpuBackend(1);
        using Tensor views = cpu.Empty(new Shape(6, 3, 20, 20));

        var e = Assert.Throws<ArgumentException>(() =>
            cpu.AugmentViews(augmenter, new byte[3 * augmenter.ImageBytes], [1, 2, 3], 1, 0, 2, views))!;

        Assert.That(e.Message, Does.StartWith("augment views:").And.Contain("[6, 3, 21, 21]"));
    }
}
