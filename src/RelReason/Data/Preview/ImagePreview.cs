using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RelReason.Data.Preview;

/// <summary>
/// Writes dataset images as PNG files for a person to look at: one image, or a grid with a border between and
/// around the cells. Files are written to a temporary name in the same folder and renamed, so a reader never sees
/// a partial PNG. 1-channel images give a grayscale PNG, 3-channel an RGB one.
/// </summary>
public static class ImagePreview
{
    /// <summary>Border width in pixels (before scaling).</summary>
    public const int Border = 2;

    /// <summary>Border value in every channel (white).</summary>
    public const byte BorderValue = 255;

    /// <summary>Writes one HWC uint8 image, each pixel repeated <paramref name="scale"/> times on both axes.</summary>
    public static void WritePng(string path, ReadOnlySpan<byte> hwc, int height, int width, int channels,
        int scale = 1)
    {
        CheckShape(hwc.Length, height, width, channels, scale);
        var canvas = new byte[height * scale * width * scale * channels];
        Blit(hwc, height, width, channels, scale, canvas, width * scale, 0, 0);
        Save(path, canvas, height * scale, width * scale, channels);
    }

    /// <summary>
    /// Writes images <paramref name="indices"/> of <paramref name="dataset"/> as a grid, row by row,
    /// <paramref name="columns"/> cells wide, with a <see cref="Border"/>-pixel border (scaled too).
    /// </summary>
    public static void WriteGrid(string path, IImageDataset dataset, IReadOnlyList<int> indices, int columns,
        int scale = 1)
    {
        var images = new List<byte[]>(indices.Count);
        foreach (int i in indices)
        {
            var img = new byte[dataset.Height * dataset.Width * dataset.Channels];
            dataset.ReadImage(i, img);
            images.Add(img);
        }
        WriteGrid(path, images, dataset.Height, dataset.Width, dataset.Channels, columns, scale);
    }

    /// <summary>Writes HWC uint8 images of one shape as a grid; see the dataset overload.</summary>
    public static void WriteGrid(string path, IReadOnlyList<byte[]> images, int height, int width, int channels,
        int columns, int scale = 1)
    {
        if (images.Count == 0 || columns <= 0)
        {
            throw new ArgumentException($"{path}: a grid needs at least one image and one column");
        }
        foreach (var img in images)
        {
            CheckShape(img.Length, height, width, channels, scale);
        }
        columns = Math.Min(columns, images.Count);
        int rows = (images.Count + columns - 1) / columns;
        int cellW = width * scale;
        int cellH = height * scale;
        int border = Border * scale;
        int gridW = columns * cellW + (columns + 1) * border;
        int gridH = rows * cellH + (rows + 1) * border;
        var canvas = new byte[(long)gridW * gridH * channels];
        Array.Fill(canvas, BorderValue);
        for (int k = 0; k < images.Count; k++)
        {
            int top = border + (k / columns) * (cellH + border);
            int left = border + (k % columns) * (cellW + border);
            Blit(images[k], height, width, channels, scale, canvas, gridW, top, left);
        }
        Save(path, canvas, gridH, gridW, channels);
    }

    private static void CheckShape(int length, int height, int width, int channels, int scale)
    {
        if (height <= 0 || width <= 0 || (channels != 1 && channels != 3) || scale <= 0)
        {
            throw new ArgumentException($"image shape {height}x{width}x{channels} (scale {scale}) is not valid");
        }
        if (length != height * width * channels)
        {
            throw new ArgumentException($"image has {length} bytes; {height}x{width}x{channels} needs " +
                $"{height * width * channels}");
        }
        if ((long)height * scale > 16384 || (long)width * scale > 16384)
        {
            throw new ArgumentException($"preview of {height}x{width} at scale {scale} is too large");
        }
    }

    /// <summary>Copies an HWC image into an HWC canvas of width <paramref name="canvasW"/> at (top, left).</summary>
    private static void Blit(ReadOnlySpan<byte> src, int height, int width, int channels, int scale, byte[] canvas,
        int canvasW, int top, int left)
    {
        for (int y = 0; y < height * scale; y++)
        {
            for (int x = 0; x < width * scale; x++)
            {
                int s = ((y / scale) * width + x / scale) * channels;
                long d = ((long)(top + y) * canvasW + left + x) * channels;
                for (int c = 0; c < channels; c++)
                {
                    canvas[d + c] = src[s + c];
                }
            }
        }
    }

    private static void Save(string path, byte[] canvas, int height, int width, int channels)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var image = channels == 1
                       ? (Image)Image.LoadPixelData<L8>(canvas, width, height)
                       : Image.LoadPixelData<Rgb24>(canvas, width, height))
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                image.Save(file, new PngEncoder());
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
