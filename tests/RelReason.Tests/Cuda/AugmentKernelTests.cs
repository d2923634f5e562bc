using System.Runtime.InteropServices;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Tests.Cuda;

/// <summary>
/// kernels/augment.cu against the C# augmenter, bit for bit: the host build runs the kernel code with the same
/// IEEE operations in the same order (no contraction), which is what the GPU build (-fmad=false) runs too.
/// </summary>
public class AugmentKernelTests : HostKernelTestBase
{
    private static readonly int[] ImageIds = [5, 17, 3, 1000, 42, 0, 77];

    private HostBuffer<byte> ConstantsBuffer(in AugmentConstants c)
    {
        var buffer = new HostBuffer<byte>(MemoryMarshal.AsBytes(new ReadOnlySpan<AugmentConstants>(in c)));
        Track(buffer);
        return buffer;
    }

    private static byte[] RandomImages(int count, int bytesPerImage, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[count * bytesPerImage];
        rng.NextBytes(bytes);
        return bytes;
    }

    [Test]
    public void StructLayouts_MatchTheCSharpStructs()
    {
        var layout = new HostBuffer<int>(6);
        Track(layout);

        new AugmentKernels(Launcher).Layout(layout.Ptr);

        Assert.That(layout.Span[0],
            Is.EqualTo(Marshal.SizeOf<AugmentConstants>()).And.EqualTo(AugmentKernels.ConstantsBytes));
        Assert.That(layout.Span[1],
            Is.EqualTo((int)Marshal.OffsetOf<AugmentConstants>(nameof(AugmentConstants.JitterOpsMask))));
        Assert.That(layout.Span[2],
            Is.EqualTo((int)Marshal.OffsetOf<AugmentConstants>(nameof(AugmentConstants.Std2))));
        Assert.That(layout.Span[3],
            Is.EqualTo(Marshal.SizeOf<ViewParams>()).And.EqualTo(AugmentKernels.ViewParamsBytes));
        Assert.That(layout.Span[4], Is.EqualTo((int)Marshal.OffsetOf<ViewParams>(nameof(ViewParams.Brightness))));
        Assert.That(layout.Span[5], Is.EqualTo((int)Marshal.OffsetOf<ViewParams>(nameof(ViewParams.Gray))));
    }

    [TestCase(32, 32, 3, 32, 11u, 0u)]
    [TestCase(28, 28, 1, 28, 12u, 3u)]
    [TestCase(40, 24, 3, 20, 13u, 7u)]
    public void Params_AreTheAugmentersBitForBit(int height, int width, int channels, int side, uint seed, uint epoch)
    {
        var options = new AugmentOptions
        {
            Side = side,
            Mean = channels == 3 ? [0.5f, 0.4f, 0.3f] : [0.5f],
            Std = channels == 3 ? [0.25f, 0.3f, 0.35f] : [0.3f],
            // A narrow scale range that often fails to fit makes the centre-crop fallback show up too.
            ScaleMin = height == 40 ? 0.9f : 0.08f,
            RatioMin = height == 40 ? 0.2f : 3f / 4f,
            RatioMax = height == 40 ? 5f : 4f / 3f,
        };
        var augmenter = new Augmenter(options, height, width, channels);
        const int k = 9;
        int m = ImageIds.Length;
        var parameters = new HostBuffer<ViewParams>(k * m);
        Track(parameters);

        new AugmentKernels(Launcher).Params(ConstantsBuffer(augmenter.Constants).Ptr, seed, epoch,
            IntBuffer(ImageIds).Ptr, m, k, parameters.Ptr);

        bool sawFallback = false;
        for (int view = 0; view < k; view++)
        {
            for (int i = 0; i < m; i++)
            {
                ViewParams expected = augmenter.DrawParams((int)seed, (int)epoch, ImageIds[i], view);
                ViewParams actual = parameters.Span[view * m + i];
                Assert.That(MemoryMarshal.AsBytes(new ReadOnlySpan<ViewParams>(in actual)).ToArray(),
                    Is.EqualTo(MemoryMarshal.AsBytes(new ReadOnlySpan<ViewParams>(in expected)).ToArray()),
                    $"view {view} of image {ImageIds[i]}: crop {actual.CropTop},{actual.CropLeft} " +
                    $"{actual.CropHeight}x{actual.CropWidth} vs {expected.CropTop},{expected.CropLeft} " +
                    $"{expected.CropHeight}x{expected.CropWidth}");
                sawFallback |= expected.CropTry == -1;
            }
        }
        if (height == 40)
        {
            Assert.That(sawFallback, Is.True, "the narrow options were meant to exercise the centre-crop fallback");
        }
        parameters.AssertGuardsIntact("params");
    }

    [TestCase(32, 32, 3, 32)]
    [TestCase(28, 28, 1, 28)]
    [TestCase(40, 24, 3, 20)]
    [TestCase(17, 23, 3, 31)]
    public void Views_AreTheAugmentersBitForBit(int height, int width, int channels, int side)
    {
        var options = new AugmentOptions
        {
            Side = side,
            Mean = channels == 3 ? [0.5f, 0.4f, 0.3f] : [0.5f],
            Std = channels == 3 ? [0.25f, 0.3f, 0.35f] : [0.3f],
        };
        var augmenter = new Augmenter(options, height, width, channels);
        const int k = 6;
        const uint seed = 2024, epoch = 5;
        int m = ImageIds.Length;
        int views = k * m;
        int imageBytes = height * width * channels;
        byte[] images = RandomImages(m, imageBytes, height * 31 + side);
        var parameters = new HostBuffer<ViewParams>(views);
        Track(parameters);
        var imageBuffer = new HostBuffer<byte>(images);
        Track(imageBuffer);
        var output = Buffer(null, views * augmenter.ViewLength);
        var scratch = Buffer(null, (int)AugmentKernels.ScratchFloats(views, side));
        var kernels = new AugmentKernels(Launcher);
        HostBuffer<byte> constants = ConstantsBuffer(augmenter.Constants);

        kernels.Params(constants.Ptr, seed, epoch, IntBuffer(ImageIds).Ptr, m, k, parameters.Ptr);
        kernels.Render(constants.Ptr, parameters.Ptr, imageBuffer.Ptr, m, views, side, output.Ptr, scratch.Ptr);

        var expected = new float[augmenter.ViewLength];
        int contrastViews = 0;
        for (int view = 0; view < k; view++)
        {
            for (int i = 0; i < m; i++)
            {
                augmenter.RenderView((int)seed, (int)epoch, ImageIds[i], view,
                    images.AsSpan(i * imageBytes, imageBytes), expected);
                int v = view * m + i;
                ReadOnlySpan<float> actual = output.Span.Slice(v * augmenter.ViewLength, augmenter.ViewLength);
                Assert.That(MemoryMarshal.AsBytes(actual).SequenceEqual(MemoryMarshal.AsBytes(expected.AsSpan())),
                    Is.True, $"view {view} of image {ImageIds[i]} differs: " + FirstDifference(actual, expected));
                contrastViews += parameters.Span[v].Applies(JitterOp.Contrast) ? 1 : 0;
            }
        }
        Assert.That(contrastViews, Is.GreaterThan(0), "no view used contrast: the two-pass path was not checked");
        output.AssertGuardsIntact("output");
        scratch.AssertGuardsIntact("scratch");
    }

    [TestCase(28, 28, 1, 28, 7, 3)]
    [TestCase(32, 32, 3, 19, 5, 3)]
    [TestCase(17, 23, 3, 13, 3, 5)]
    public void AugmentViewsOp_ThroughTheHostLauncher_IsTheCpuBackendsBitForBit(int height, int width, int channels,
        int side, int m, int k)
    {
        // K*M*S*S pixels and K*M views never divide the 256-thread block here (28x28: 16464, 19x19: 5415, 13x13:
        // 2535), so every launch has a partial last block.
        var options = new AugmentOptions
        {
            Side = side,
            Mean = channels == 3 ? [0.49f, 0.48f, 0.45f] : [0.29f],
            Std = channels == 3 ? [0.25f, 0.24f, 0.26f] : [0.35f],
        };
        var augmenter = new Augmenter(options, height, width, channels);
        int[] ids = ImageIds[..m];
        byte[] images = RandomImages(m, augmenter.ImageBytes, side * 7 + m);
        const int seed = -3, epoch = 9;
        int views = k * m;
        using Tensor expected = Cpu.Empty(new Shape(views, channels, side, side));
        Cpu.AugmentViews(augmenter, images, ids, seed, epoch, k, expected);
        var imageBuffer = new HostBuffer<byte>(images);
        Track(imageBuffer);
        var parameters = new HostBuffer<ViewParams>(views);
        Track(parameters);
        var output = Buffer(null, views * augmenter.ViewLength);
        var scratch = Buffer(null, (int)AugmentKernels.ScratchFloats(views, side));

        new AugmentKernels(Launcher).Views(ConstantsBuffer(augmenter.Constants).Ptr, unchecked((uint)seed),
            (uint)epoch, IntBuffer(ids).Ptr, imageBuffer.Ptr, m, k, side, parameters.Ptr, output.Ptr, scratch.Ptr);

        float[] cpu = Read(expected);
        Assert.That(MemoryMarshal.AsBytes(output.Span).SequenceEqual(MemoryMarshal.AsBytes(cpu.AsSpan())), Is.True,
            "kernel views differ from CpuBackend.AugmentViews: " + FirstDifference(output.Span, cpu));
        output.AssertGuardsIntact("views");
        scratch.AssertGuardsIntact("scratch");
        parameters.AssertGuardsIntact("params");
    }

    private static string FirstDifference(ReadOnlySpan<float> actual, float[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                return $"first at {i}: kernel {actual[i]:R} vs C# {expected[i]:R}";
            }
        }
        return "none";
    }
}
