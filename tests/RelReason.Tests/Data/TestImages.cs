using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Tests.Data;

/// <summary>Writes small image files with known pixels for the folder readers' tests.</summary>
internal static class TestImages
{
    public static void Rgb(string path, int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel,
        bool jpeg = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                img[x, y] = new Rgb24(r, g, b);
            }
        }
        // PNG (lossless) unless asked otherwise, whatever the extension: readers detect the format from the bytes.
        if (jpeg)
        {
            img.SaveAsJpeg(path);
        }
        else
        {
            img.SaveAsPng(path);
        }
    }

    public static void Gray(string path, int width, int height, Func<int, int, byte> pixel, bool jpeg = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = new Image<L8>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                img[x, y] = new L8(pixel(x, y));
            }
        }
        if (jpeg)
        {
            img.SaveAsJpeg(path);
        }
        else
        {
            img.SaveAsPng(path);
        }
    }
}
