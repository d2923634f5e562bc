namespace RelReason.Data.Augmentation;

/// <summary>
/// The test and linear-evaluation transform (METHOD.md 3.3): no augmentation, bytes to [0, 1] floats, then
/// (v - mean) / std per channel, written CHW. Optionally the image is first brought to Side x Side: the largest
/// centred square is cut out and resized bilinearly with the same sampler as the training views.
/// </summary>
/// <remarks>
/// Without resizing, output value (c, y, x) is exactly (byte / 255 - mean[c]) / std[c] in float32, the same
/// bits as a view rendered with <see cref="ViewParams.Identity"/> at the image's own size.
/// </remarks>
public sealed class EvalTransform
{
    private readonly AugmentConstants _constants;
    private readonly ViewParams _params;
    private readonly bool _resize;

    /// <summary>
    /// Prepares the transform for <paramref name="height"/> x <paramref name="width"/> x
    /// <paramref name="channels"/> images. Only mean, std and (when <paramref name="resizeToSide"/>) side are
    /// taken from <paramref name="options"/>.
    /// </summary>
    public EvalTransform(AugmentOptions options, int height, int width, int channels, bool resizeToSide)
    {
        _resize = resizeToSide;
        var shaped = resizeToSide ? options : options with { Side = Math.Max(1, Math.Min(height, width)) };
        _constants = AugmentConstants.Create(shaped, height, width, channels);
        int square = Math.Min(height, width);
        _params = ViewParams.Identity(height, width);
        _params.CropTop = (height - square) / 2;
        _params.CropLeft = (width - square) / 2;
        _params.CropHeight = square;
        _params.CropWidth = square;
        OutputHeight = resizeToSide ? options.Side : height;
        OutputWidth = resizeToSide ? options.Side : width;
    }

    public int Channels => _constants.Channels;

    public int OutputHeight { get; }

    public int OutputWidth { get; }

    /// <summary>Floats per output image: Channels x OutputHeight x OutputWidth.</summary>
    public int OutputLength => Channels * OutputHeight * OutputWidth;

    /// <summary>Bytes of one source image (HWC).</summary>
    public int ImageBytes => _constants.ImageBytes;

    /// <summary>Writes the normalised image (CHW) into <paramref name="destination"/>.</summary>
    public void Render(ReadOnlySpan<byte> image, Span<float> destination)
    {
        if (_resize)
        {
            ViewRenderer.Render(in _params, in _constants, image, destination);
            return;
        }
        if (image.Length != _constants.ImageBytes)
        {
            throw new ArgumentException(
                $"eval transform: source image has {image.Length} bytes, expected " +
                $"{_constants.Height}x{_constants.Width}x{_constants.Channels} = {_constants.ImageBytes} (HWC uint8)");
        }
        if (destination.Length < OutputLength)
        {
            throw new ArgumentException(
                $"eval transform: destination has {destination.Length} floats, expected {OutputLength}");
        }
        int channels = _constants.Channels;
        int plane = OutputHeight * OutputWidth;
        for (int c = 0; c < channels; c++)
        {
            float mean = c == 0 ? _constants.Mean0 : (c == 1 ? _constants.Mean1 : _constants.Mean2);
            float std = c == 0 ? _constants.Std0 : (c == 1 ? _constants.Std1 : _constants.Std2);
            Span<float> outPlane = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                outPlane[i] = (image[i * channels + c] / 255f - mean) / std;
            }
        }
    }
}
