namespace RelReason.Data.Augmentation;

/// <summary>
/// The K-view augmentation of relational reasoning for images of one shape: view v of image i in an epoch is a
/// pure function of (seed, epoch, i, v) and the image bytes. Thread-safe and stateless after construction, so
/// views can be made on any thread in any order with bit-identical results.
/// </summary>
public sealed class Augmenter
{
    private readonly AugmentConstants _constants;

    /// <summary>
    /// Prepares augmentation of <paramref name="height"/> x <paramref name="width"/> x <paramref name="channels"/>
    /// uint8 images. For one-channel images saturation, hue and grayscale do not apply; when any of them was
    /// enabled in <paramref name="options"/>, this is said once through <paramref name="log"/>.
    /// </summary>
    public Augmenter(AugmentOptions options, int height, int width, int channels, Action<string>? log = null)
    {
        _constants = AugmentConstants.Create(options, height, width, channels);
        Options = options;
        bool colourStagesAsked = options.Saturation > 0f || options.Hue > 0f || options.GrayscaleProbability > 0f;
        if (channels == 1 && colourStagesAsked)
        {
            log?.Invoke(
                $"augment: images have 1 channel; saturation ({options.Saturation}), hue ({options.Hue}) and " +
                $"random grayscale (p {options.GrayscaleProbability}) are skipped");
        }
    }

    public AugmentOptions Options { get; }

    /// <summary>The flattened settings, as a GPU kernel would receive them.</summary>
    public AugmentConstants Constants => _constants;

    public int Channels => _constants.Channels;

    /// <summary>Output side S.</summary>
    public int Side => _constants.Side;

    /// <summary>Floats in one view: Channels x Side x Side.</summary>
    public int ViewLength => _constants.ViewLength;

    /// <summary>Bytes of one source image (HWC).</summary>
    public int ImageBytes => _constants.ImageBytes;

    /// <summary>Phase (a): the parameters of view <paramref name="view"/> of image <paramref name="image"/>.</summary>
    /// <remarks>The Philox key is (seed, epoch) and the counter (image, view, draw, 0), each as 32 bits.</remarks>
    public ViewParams DrawParams(int seed, int epoch, int image, int view)
    {
        return ViewSampler.Draw(in _constants, (uint)seed, (uint)epoch, (uint)image, (uint)view);
    }

    /// <summary>Phase (b): renders a view with given parameters into <paramref name="destination"/> (CHW).</summary>
    public void Render(in ViewParams parameters, ReadOnlySpan<byte> image, Span<float> destination)
    {
        ViewRenderer.Render(in parameters, in _constants, image, destination);
    }

    /// <summary>
    /// Both phases: draws view <paramref name="view"/> of image <paramref name="imageIndex"/> and renders it.
    /// </summary>
    public void RenderView(
        int seed, int epoch, int imageIndex, int view, ReadOnlySpan<byte> image, Span<float> destination)
    {
        ViewParams p = DrawParams(seed, epoch, imageIndex, view);
        ViewRenderer.Render(in p, in _constants, image, destination);
    }
}
