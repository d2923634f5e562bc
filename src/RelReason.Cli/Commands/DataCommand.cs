using RelReason.Data;
using RelReason.Data.Augmentation;
using RelReason.Data.Download;
using RelReason.Data.Preview;
using RelReason.Data.Readers;
using RelReason.Training;

namespace RelReason.Cli.Commands;

/// <summary>`relreason data fetch|info|preview`: get a dataset, describe it, and look at what the network
/// sees.</summary>
internal static class DataCommand
{
    internal static int Run(ArgReader args)
    {
        string sub = args.Positional.Count > 0 ? args.Positional[0] : "";
        string? name = args.Positional.Count > 1 ? args.Positional[1] : null;
        return sub switch
        {
            "fetch" => Fetch(args, name),
            "info" => Info(args, name ?? "default"),
            "preview" => Preview(args, name ?? "default"),
            "" => Help(args),
            _ => throw new UsageException($"unknown data subcommand '{sub}'; expected fetch, info or preview"),
        };
    }

    private static string Need(string? name, string sub) =>
        name ?? throw new UsageException($"data {sub} needs a dataset name: " +
            string.Join(", ", DatasetCatalog.All.Select(s => s.Name)));

    /// <summary>`data SUB --help`: the subcommand's options, once they are all declared.</summary>
    private static bool ShowHelp(ArgReader args, string usage)
    {
        if (!args.HelpRequested)
        {
            return false;
        }
        Console.WriteLine($"relreason data {usage}\n");
        Console.WriteLine(args.HelpText());
        Console.WriteLine("datasets: " + string.Join(", ", DatasetCatalog.All.Select(s => s.Name)));
        return true;
    }

    private static int Help(ArgReader args)
    {
        Console.WriteLine("""
            relreason data fetch NAME [--root DIR] [--url BASE] [--force]   download, verify MD5, unpack
            relreason data info NAME [--root DIR | --path DIR]              splits, counts, shapes, classes, bytes
            relreason data preview NAME --index I [--views K] --out FILE.png [--split S] [--seed N] [--scale N]
            """);
        Console.WriteLine("datasets: " + string.Join(", ", DatasetCatalog.All.Select(s => s.Name)));
        return args.HelpRequested ? 0 : 2;
    }

    private static int Fetch(ArgReader args, string? dataset)
    {
        string? root = args.OptionalString("root", "data root (default: $RELREASON_DATA or ./data)");
        string? url = args.OptionalString("url", "base URL of a mirror");
        bool force = args.Flag("force", "fetch again even when the folder exists (the old copy stays until success)");
        if (ShowHelp(args, "fetch NAME: download, verify MD5, unpack"))
        {
            return 0;
        }
        args.Done(positionals: 2);
        string name = Need(dataset, "fetch");
        var bar = new ProgressBar();
        var result = DatasetFetcher.FetchAsync(name, new FetchOptions
        {
            Root = root,
            BaseUrl = url,
            Force = force,
            Progress = p => bar.Show($"{p.Phase.ToString().ToLowerInvariant()} {p.File}", p.Done, p.Total ?? 0),
        }).GetAwaiter().GetResult();
        bar.Done();
        Console.WriteLine(result.AlreadyPresent
            ? $"{name}: already in {result.Folder} (use --force to fetch again)"
            : $"{name}: ready in {result.Folder}");
        return 0;
    }

    private static int Info(ArgReader args, string name)
    {
        var options = OpenOptions(args);
        if (ShowHelp(args, "info NAME: splits, counts, shapes, classes, bytes"))
        {
            return 0;
        }
        args.Done(positionals: 2);
        var info = DatasetCatalog.Info(name, options);
        Console.WriteLine($"{info.Spec.Name}: {info.Spec.Description}");
        Console.WriteLine($"  folder   {info.Folder}{(info.Exists ? "" : " (missing)")}");
        Console.WriteLine($"  on disk  {info.BytesOnDisk / 1048576.0:F1} MiB");
        Console.WriteLine($"  views    crop side {info.Spec.CropSide}, mean {string.Join("/", info.Spec.Mean)}, " +
            $"std {string.Join("/", info.Spec.Std)}");
        foreach (var s in info.Splits)
        {
            Console.WriteLine(s.Present
                ? $"  {s.Split,-10} {s.Count,7} images  {s.Height}x{s.Width}x{s.Channels}  " +
                  (s.Labelled ? "labelled" : "unlabelled") + (s.Problem != null ? $"  ({s.Problem})" : "")
                : $"  {s.Split,-10} absent: {s.Problem}");
        }
        if (info.Classes.Count > 0)
        {
            Console.WriteLine($"  classes  {info.Classes.Count}: {string.Join(", ", info.Classes)}");
        }
        return 0;
    }

    private static int Preview(ArgReader args, string name)
    {
        var options = OpenOptions(args);
        string split = args.String("split", "train", "split to read");
        int index = args.Int("index", 0, "image index", 0);
        int views = args.Int("views", 0, "augmented views to show beside the image (0: the raw image only)", 0);
        int seed = args.Int("seed", 1, "augmentation seed");
        int scale = args.Int("scale", 4, "pixel magnification", 1);
        var strengths = new PretrainOptions
        {
            CropScaleMin = args.Float("crop-min", 0.08f, "smallest random crop as a fraction of the image area", 0),
            ColorStrength = args.Float("color-strength", 1f, "colour jitter strength, as for pretrain", 0),
        };
        string? output = args.OptionalString("out", "PNG file to write (required)");
        if (ShowHelp(args, "preview NAME: an image and augmented views of it as a PNG"))
        {
            return 0;
        }
        args.Done(positionals: 2);
        if (output == null)
        {
            throw new UsageException("data preview needs --out FILE.png");
        }
        try
        {
            strengths.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var dataset = DatasetCatalog.Open(name, split, options);
        try
        {
            if (index >= dataset.Count)
            {
                throw new UsageException($"--index {index} is past the end of {dataset.Name} ({dataset.Count} images)");
            }
            var raw = new byte[dataset.ImageBytes];
            dataset.ReadImage(index, raw);
            if (views == 0)
            {
                ImagePreview.WritePng(output, raw, dataset.Height, dataset.Width, dataset.Channels, scale);
                Console.WriteLine($"wrote {output}: image {index} of {dataset.Name}");
                return 0;
            }
            var spec = DatasetCatalog.Describe(name);
            int side = spec.CropSide > 0 ? spec.CropSide : dataset.Height;
            var (mean, std) = DatasetCatalog.Normalization(name, dataset.Channels);
            var augmenter = new Augmenter(Pretrainer.ViewAugmentation(strengths, side, mean, std), dataset.Height,
                dataset.Width, dataset.Channels, Console.Error.WriteLine);
            // The grid's cells share one size: the raw image is shown through the identity view at side x side.
            var cells = new List<byte[]> { Resize(raw, dataset.Height, dataset.Width, dataset.Channels, side) };
            var view = new float[augmenter.ViewLength];
            for (int k = 0; k < views; k++)
            {
                augmenter.RenderView(seed, 0, index, k, raw, view);
                cells.Add(Denormalise(view, side, dataset.Channels, mean, std));
            }
            ImagePreview.WriteGrid(output, cells, side, side, dataset.Channels, Math.Min(cells.Count, 9), scale);
            Console.WriteLine(
                $"wrote {output}: image {index} of {dataset.Name}, then {views} views (seed {seed}, epoch 0)");
            return 0;
        }
        finally
        {
            (dataset as IDisposable)?.Dispose();
        }
    }

    private static DatasetOpenOptions OpenOptions(ArgReader args)
    {
        string? root = args.OptionalString("root", "data root (default: $RELREASON_DATA or ./data)");
        string? path = args.OptionalString("path", "the dataset's own folder");
        int imageSize = args.Int("image-size", 0,
            "folder, tiny-imagenet: resize every image to this side when loading (0: keep)", 0);
        return new DatasetOpenOptions
        {
            Root = root,
            Path = path,
            Warn = Console.Error.WriteLine,
            Images = imageSize > 0 ? new ImageFolderOptions { Size = imageSize, Warn = Console.Error.WriteLine } : null,
        };
    }

    /// <summary>CHW normalised floats back to HWC bytes: x * std + mean, clamped to [0, 1].</summary>
    internal static byte[] Denormalise(float[] chw, int side, int channels, float[] mean, float[] std)
    {
        var hwc = new byte[side * side * channels];
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < side * side; p++)
            {
                float v = chw[c * side * side + p] * std[c] + mean[c];
                hwc[p * channels + c] = (byte)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);
            }
        }
        return hwc;
    }

    /// <summary>Nearest-neighbour resize of an HWC image to side x side (for display only).</summary>
    private static byte[] Resize(byte[] hwc, int h, int w, int channels, int side)
    {
        if (h == side && w == side)
        {
            return hwc;
        }
        var output = new byte[side * side * channels];
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                int sy = y * h / side, sx = x * w / side;
                for (int c = 0; c < channels; c++)
                {
                    output[(y * side + x) * channels + c] = hwc[(sy * w + sx) * channels + c];
                }
            }
        }
        return output;
    }
}
