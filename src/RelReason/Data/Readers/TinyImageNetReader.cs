namespace RelReason.Data.Readers;

/// <summary>
/// Reads tiny-ImageNet (folder tiny-imagenet-200): train/&lt;wnid&gt;/images/*.JPEG (500 per class),
/// val/images/*.JPEG labelled by val/val_annotations.txt (tab-separated: file, wnid, box), and unlabelled
/// test/images/*.JPEG. Classes are the 200 wnids in ordinal order; names come from words.txt when present.
/// Images are 64x64 JPEG, some grayscale (decoded to RGB here). All are decoded into memory at open
/// (the train split is 100,000 x 64 x 64 x 3 = 1.2 GB).
/// </summary>
public static class TinyImageNetReader
{
    /// <summary>Opens "train", "val" or "test"; undecodable files are skipped through options.Warn.</summary>
    public static FolderDataset Open(string root, string split, ImageFolderOptions? options = null)
    {
        var (items, classNames) = Scan(root, split);
        return ImageFolderReader.Load("tiny-imagenet/" + split, items, classNames,
            options ?? new ImageFolderOptions());
    }

    /// <summary>
    /// Lists the files of a split and their labels without decoding; class names are null for "test".
    /// </summary>
    public static (List<(string Path, int Label)> Items, string[]? ClassNames) Scan(string root, string split)
    {
        string[] wnids = ReadWnids(root);
        var labelOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < wnids.Length; i++)
        {
            labelOf[wnids[i]] = i;
        }
        var names = ClassNames(root, wnids);
        switch (split)
        {
            case "train":
            {
                var items = new List<(string Path, int Label)>();
                for (int c = 0; c < wnids.Length; c++)
                {
                    string dir = Path.Combine(root, "train", wnids[c], "images");
                    if (!Directory.Exists(dir))
                    {
                        throw new DatasetFormatException(dir, -1, $"missing: expected the images of class {wnids[c]}");
                    }
                    items.AddRange(ImageFiles(dir).Select(f => (f, c)));
                }
                return (items, names);
            }
            case "val":
                return (ValItems(root, labelOf), names);
            case "test":
                return (ImageFiles(Path.Combine(root, "test", "images")).Select(f => (f, -1)).ToList(), null);
            default:
                throw new ArgumentException($"tiny-ImageNet has splits 'train', 'val' and 'test', not '{split}'",
                    nameof(split));
        }
    }

    /// <summary>
    /// The class wnids in label order (ordinal sort): from wnids.txt when present, else the folders under train/.
    /// </summary>
    public static string[] ReadWnids(string root)
    {
        string list = Path.Combine(root, "wnids.txt");
        IEnumerable<string> ids;
        if (File.Exists(list))
        {
            ids = File.ReadLines(list).Select(l => l.Trim()).Where(l => l.Length > 0);
        }
        else if (Directory.Exists(Path.Combine(root, "train")))
        {
            ids = Directory.GetDirectories(Path.Combine(root, "train")).Select(d => Path.GetFileName(d));
        }
        else
        {
            throw new DirectoryNotFoundException($"{root}: neither wnids.txt nor train/ exists (not tiny-ImageNet?)");
        }
        string[] sorted = ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (sorted.Length == 0)
        {
            throw new DatasetFormatException(list, -1, "no class ids found; expected one wnid per line");
        }
        return sorted;
    }

    /// <summary>
    /// One name per wnid: the first synonym in words.txt ("n01443537\tgoldfish, Carassius auratus" gives
    /// "goldfish"), or the wnid itself when words.txt or its entry is missing.
    /// </summary>
    public static string[] ClassNames(string root, IReadOnlyList<string> wnids)
    {
        string words = Path.Combine(root, "words.txt");
        var names = wnids.ToArray();
        if (!File.Exists(words))
        {
            return names;
        }
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < wnids.Count; i++)
        {
            wanted[wnids[i]] = i;
        }
        foreach (string line in File.ReadLines(words))
        {
            int tab = line.IndexOf('\t');
            if (tab > 0 && wanted.TryGetValue(line[..tab], out int i))
            {
                string first = line[(tab + 1)..].Split(',')[0].Trim();
                if (first.Length > 0)
                {
                    names[i] = first;
                }
            }
        }
        return names;
    }

    private static List<(string Path, int Label)> ValItems(string root, Dictionary<string, int> labelOf)
    {
        string val = Path.Combine(root, "val");
        string annotations = Path.Combine(val, "val_annotations.txt");
        var items = new List<(string Path, int Label)>();
        if (!File.Exists(annotations))
        {
            // Also accept val/ already reorganised into one folder per wnid.
            foreach (var (wnid, label) in labelOf.OrderBy(p => p.Value))
            {
                string dir = Path.Combine(val, wnid);
                if (Directory.Exists(dir))
                {
                    items.AddRange(ImageFiles(dir).Select(f => (f, label)));
                }
            }
            if (items.Count == 0)
            {
                throw new FileNotFoundException($"{annotations} does not exist and val/ has no class folders",
                    annotations);
            }
            return items;
        }
        int lineNumber = 0;
        foreach (string line in File.ReadLines(annotations))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            string[] parts = line.Split('\t');
            if (parts.Length < 2 || !labelOf.TryGetValue(parts[1], out int label))
            {
                throw new DatasetFormatException(annotations, -1,
                    $"line {lineNumber}: expected 'file<TAB>wnid<TAB>...' with a wnid from wnids.txt, got '{line}'");
            }
            if (parts[0].Contains('/') || parts[0].Contains('\\') || parts[0].Contains(".."))
            {
                throw new DatasetFormatException(annotations, -1,
                    $"line {lineNumber}: file name '{parts[0]}' must be a plain name inside val/images");
            }
            items.Add((Path.Combine(val, "images", parts[0]), label));
        }
        return items;
    }

    private static IEnumerable<string> ImageFiles(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Where(ImageFolderReader.IsImageFile).Order(StringComparer.Ordinal)
            : throw new DirectoryNotFoundException($"{dir} does not exist");
}
