using System.Runtime.ExceptionServices;

namespace RelReason.Data.Readers;

/// <summary>How an image folder is decoded.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Channels of the dataset: 3 (RGB; grayscale files are replicated) or 1 (luminance).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>
    /// When set, every image is resized (bilinear) to Size x Size. When null, every image must have the first
    /// image's size, and the first that differs is reported.
    /// </summary>
    public int? Size { get; init; }

    /// <summary>Images whose header gives a side above this are refused before decoding.</summary>
    public int MaxSide { get; init; } = ImageDecoding.DefaultMaxSide;

    /// <summary>
    /// Null: labelled when the root has subfolders (one per class), unlabelled otherwise. True: class subfolders
    /// required. False: only the image files directly in the root, no labels.
    /// </summary>
    public bool? Labelled { get; init; }

    /// <summary>Receives one line per skipped (undecodable) file, on the opening thread, in file order.</summary>
    public Action<string>? Warn { get; init; }
}

/// <summary>A file left out of a folder dataset, and why.</summary>
public sealed record SkippedImage(string Path, string Reason);

/// <summary>
/// A dataset decoded from image files, held in memory. Adds, to the <see cref="IImageDataset"/> contract, the
/// source file of each image and the files that were skipped because they could not be decoded.
/// </summary>
public sealed class FolderDataset : IImageDataset
{
    private readonly InMemoryDataset _images;

    internal FolderDataset(InMemoryDataset images, IReadOnlyList<string> files, IReadOnlyList<SkippedImage> skipped)
    {
        _images = images;
        Files = files;
        Skipped = skipped;
    }

    /// <summary>Source file of image i.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Files that were not decodable, in scan order; not part of the dataset.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <inheritdoc />
    public string Name => _images.Name;

    /// <inheritdoc />
    public int Count => _images.Count;

    /// <inheritdoc />
    public int Height => _images.Height;

    /// <inheritdoc />
    public int Width => _images.Width;

    /// <inheritdoc />
    public int Channels => _images.Channels;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _images.ClassNames;

    /// <inheritdoc />
    public bool HasLabels => _images.HasLabels;

    /// <inheritdoc />
    public void ReadImage(int index, Span<byte> destination) => _images.ReadImage(index, destination);

    /// <inheritdoc />
    public int GetLabel(int index) => _images.GetLabel(index);
}

/// <summary>
/// Reads a folder of image files: root/&lt;class&gt;/**/*.png|jpg|jpeg|bmp (classes are the subfolder names in
/// ordinal order, files ordered by path) or, unlabelled, root/*.png|jpg|jpeg|bmp. Every image is decoded at open,
/// in parallel, with ImageSharp.
/// </summary>
public static class ImageFolderReader
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>Whether <paramref name="path"/> has an image extension this reader scans for.</summary>
    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Scans and decodes <paramref name="root"/>; see <see cref="ImageFolderOptions"/>.</summary>
    public static FolderDataset Open(string root, ImageFolderOptions options, string? name = null)
    {
        var (items, classNames) = Scan(root, options.Labelled);
        name ??= "folder/" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));
        return Load(name, items, classNames, options);
    }

    /// <summary>
    /// Lists the image files of <paramref name="root"/> and their labels without decoding anything; class names
    /// are null for an unlabelled folder. See <see cref="ImageFolderOptions.Labelled"/>.
    /// </summary>
    public static (List<(string Path, int Label)> Items, string[]? ClassNames) Scan(string root, bool? labelled)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"image folder {root} does not exist");
        }
        string[] classDirs = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToArray();
        bool byClass = labelled ?? classDirs.Length > 0;
        var items = new List<(string Path, int Label)>();
        if (byClass)
        {
            if (classDirs.Length == 0)
            {
                throw new DatasetFormatException(root, -1, "expected one subfolder per class, found none");
            }
            for (int c = 0; c < classDirs.Length; c++)
            {
                foreach (string f in Directory.EnumerateFiles(classDirs[c], "*", SearchOption.AllDirectories)
                             .Where(IsImageFile).Order(StringComparer.Ordinal))
                {
                    items.Add((f, c));
                }
            }
            return (items, classDirs.Select(d => Path.GetFileName(d)).ToArray());
        }
        foreach (string f in Directory.EnumerateFiles(root).Where(IsImageFile).Order(StringComparer.Ordinal))
        {
            items.Add((f, -1));
        }
        return (items, null);
    }

    /// <summary>
    /// Decodes a given list of files. Labels index <paramref name="classNames"/>; pass null class names (and any
    /// labels) for an unlabelled split. Undecodable files are skipped, reported through
    /// <see cref="ImageFolderOptions.Warn"/> and listed in <see cref="FolderDataset.Skipped"/>.
    /// </summary>
    public static FolderDataset Load(string name, IReadOnlyList<(string Path, int Label)> items,
        IReadOnlyList<string>? classNames, ImageFolderOptions options)
    {
        if (options.Channels != 1 && options.Channels != 3)
        {
            throw new ArgumentException($"{name}: channels must be 1 or 3, not {options.Channels}");
        }
        if (options.Size is <= 0)
        {
            throw new ArgumentException($"{name}: size must be positive, not {options.Size}");
        }
        var failures = new string?[items.Count];
        var sizes = new (int W, int H)[items.Count];
        ForEachFile(items.Count, failures, i => sizes[i] = ImageDecoding.Identify(items[i].Path, options.MaxSide));

        int first = Array.FindIndex(failures, f => f is null);
        if (first < 0)
        {
            Report(name, items, failures, options.Warn);
            throw new DatasetFormatException(name, -1,
                $"no decodable image among {items.Count} file(s); expected at least one .png/.jpg/.jpeg/.bmp");
        }
        int width = options.Size ?? sizes[first].W;
        int height = options.Size ?? sizes[first].H;
        if (options.Size is null)
        {
            for (int i = first + 1; i < items.Count; i++)
            {
                if (failures[i] is null && sizes[i] != sizes[first])
                {
                    throw ImageDecoding.WrongSize(items[i].Path, sizes[i].W, sizes[i].H, width, height,
                        items[first].Path);
                }
            }
        }

        int imageBytes = width * height * options.Channels;
        if ((long)imageBytes * items.Count > Array.MaxLength)
        {
            throw new ArgumentException($"{name}: {items.Count} images of {imageBytes} bytes do not fit one array");
        }
        var pixels = new byte[(long)imageBytes * items.Count];
        ForEachFile(items.Count, failures, i => ImageDecoding.DecodeInto(items[i].Path, options.Channels,
            options.Size, width, height, options.MaxSide, pixels.AsSpan(i * imageBytes, imageBytes)));

        var skipped = Report(name, items, failures, options.Warn);
        // Move the kept images down over the gaps, keeping their order.
        int kept = 0;
        var files = new List<string>(items.Count);
        var labels = new int[items.Count - skipped.Count];
        for (int i = 0; i < items.Count; i++)
        {
            if (failures[i] is not null)
            {
                continue;
            }
            if (kept != i)
            {
                Buffer.BlockCopy(pixels, i * imageBytes, pixels, kept * imageBytes, imageBytes);
            }
            files.Add(items[i].Path);
            labels[kept] = items[i].Label;
            kept++;
        }
        if (kept != items.Count)
        {
            Array.Resize(ref pixels, kept * imageBytes);
        }
        var images = new InMemoryDataset(name, height, width, options.Channels, pixels,
            classNames is null ? null : labels, classNames ?? []);
        return new FolderDataset(images, files, skipped);
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every file not yet failed, in parallel. An undecodable file is recorded in
    /// <paramref name="failures"/>; any other error stops the open, and the one of the lowest-numbered file is
    /// rethrown as is (not wrapped), so the outcome does not depend on thread timing.
    /// </summary>
    private static void ForEachFile(int count, string?[] failures, Action<int> work)
    {
        var errors = new Exception?[count];
        Parallel.For(0, count, i =>
        {
            if (failures[i] is not null)
            {
                return;
            }
            try
            {
                work(i);
            }
            catch (UndecodableImageException e)
            {
                failures[i] = e.Message;
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is Exception first)
        {
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    private static List<SkippedImage> Report(string name, IReadOnlyList<(string Path, int Label)> items,
        string?[] failures, Action<string>? warn)
    {
        var skipped = new List<SkippedImage>();
        for (int i = 0; i < items.Count; i++)
        {
            if (failures[i] is string reason)
            {
                skipped.Add(new SkippedImage(items[i].Path, reason));
                warn?.Invoke($"{name}: skipped {reason}");
            }
        }
        if (skipped.Count > 0)
        {
            warn?.Invoke($"{name}: skipped {skipped.Count} of {items.Count} file(s) that could not be decoded");
        }
        return skipped;
    }
}
