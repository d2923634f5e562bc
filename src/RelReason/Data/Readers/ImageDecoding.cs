using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace RelReason.Data.Readers;

/// <summary>
/// Decodes one image file (PNG, JPEG, BMP, ... whatever ImageSharp 2.1 recognises from the content) into HWC
/// uint8, with a limit on width and height checked from the header before any pixel is decoded.
/// </summary>
public static class ImageDecoding
{
    /// <summary>Default largest accepted width or height, in pixels.</summary>
    public const int DefaultMaxSide = 4096;

    /// <summary>
    /// Reads width and height from the file's header without decoding pixels.
    /// </summary>
    /// <exception cref="UndecodableImageException">The content is not a recognised or valid image.</exception>
    /// <exception cref="DatasetFormatException">A side exceeds <paramref name="maxSide"/>.</exception>
    public static (int Width, int Height) Identify(string path, int maxSide = DefaultMaxSide)
    {
        using var stream = File.OpenRead(path);
        return IdentifyChecked(stream, path, maxSide);
    }

    /// <summary>
    /// Decodes <paramref name="path"/> to <paramref name="channels"/> (1: luminance; 3: RGB, grayscale replicated)
    /// and writes it HWC into <paramref name="destination"/>. With <paramref name="size"/> the image is resized
    /// bilinearly to size x size; otherwise it must be <paramref name="expectedWidth"/> x
    /// <paramref name="expectedHeight"/>.
    /// </summary>
    /// <exception cref="UndecodableImageException">The content is not a recognised or valid image.</exception>
    /// <exception cref="DatasetFormatException">Too large, or not the expected size.</exception>
    public static void DecodeInto(string path, int channels, int? size, int expectedWidth, int expectedHeight,
        int maxSide, Span<byte> destination)
    {
        using var stream = File.OpenRead(path);
        var (w, h) = IdentifyChecked(stream, path, maxSide);
        if (size is null && (w != expectedWidth || h != expectedHeight))
        {
            throw WrongSize(path, w, h, expectedWidth, expectedHeight);
        }
        stream.Position = 0;
        int outW = size ?? w;
        int outH = size ?? h;
        int bytes = outW * outH * channels;
        if (destination.Length < bytes)
        {
            throw new ArgumentException($"{path}: destination holds {destination.Length} bytes, needs {bytes}");
        }
        try
        {
            if (channels == 1)
            {
                using var img = Image.Load<L8>(stream);
                Fit(img, size);
                img.CopyPixelDataTo(MemoryMarshal.Cast<byte, L8>(destination[..bytes]));
            }
            else
            {
                using var img = Image.Load<Rgb24>(stream);
                Fit(img, size);
                img.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(destination[..bytes]));
            }
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new UndecodableImageException(path, e);
        }
    }

    /// <summary>The error for an image whose size differs from the dataset's.</summary>
    internal static DatasetFormatException WrongSize(string path, int w, int h, int expectedW, int expectedH,
        string? firstPath = null) =>
        new(path, -1, $"image is {w}x{h} (width x height); expected {expectedW}x{expectedH} like the first image" +
            (firstPath is null ? "" : $" ({firstPath})") + ". Give a size to resize every image to (--image-size N), or remove this one");

    private static void Fit<TPixel>(Image<TPixel> img, int? size)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (size is int s && (img.Width != s || img.Height != s))
        {
            // Triangle is ImageSharp's bilinear resampler.
            img.Mutate(x => x.Resize(s, s, KnownResamplers.Triangle));
        }
    }

    private static (int Width, int Height) IdentifyChecked(Stream stream, string path, int maxSide)
    {
        IImageInfo? info;
        try
        {
            info = Image.Identify(stream);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new UndecodableImageException(path, e);
        }
        if (info is null)
        {
            throw new UndecodableImageException(path, null);
        }
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new UndecodableImageException(path, null);
        }
        if (info.Width > maxSide || info.Height > maxSide)
        {
            throw new DatasetFormatException(path, -1,
                $"image header says {info.Width}x{info.Height}; refused before decoding because a side exceeds " +
                $"the limit of {maxSide} pixels");
        }
        return (info.Width, info.Height);
    }

    private static bool IsDecodeFailure(Exception e) =>
        e is ImageFormatException or NotSupportedException or InvalidDataException or EndOfStreamException;
}

/// <summary>A file in an image dataset is not an image ImageSharp can decode.</summary>
public sealed class UndecodableImageException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public UndecodableImageException(string path, Exception? inner)
        : base($"{path}: not a decodable image" + (inner is null ? " (unknown format)" : $": {inner.Message}"), inner)
    {
        FilePath = path;
    }

    /// <summary>The file that failed.</summary>
    public string FilePath { get; }
}
