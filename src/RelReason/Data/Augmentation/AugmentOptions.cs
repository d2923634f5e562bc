namespace RelReason.Data.Augmentation;

/// <summary>
/// Settings of the relational-reasoning view pipeline (METHOD.md 3.1) and of the evaluation transform.
/// The defaults are the reference's: RandomResizedCrop(scale 0.08..1, ratio 3/4..4/3), flip 0.5,
/// ColorJitter(0.8, 0.8, 0.8, 0.2) applied with p 0.8, grayscale 0.2. Presets per dataset set
/// <see cref="Side"/>, <see cref="Mean"/> and <see cref="Std"/> (METHOD.md 3.2).
/// </summary>
public sealed record AugmentOptions
{
    /// <summary>Output side length S: every view is S x S.</summary>
    public int Side { get; init; } = 32;

    /// <summary>Per-channel mean subtracted after scaling to [0, 1]; one entry per image channel.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.5f, 0.5f, 0.5f];

    /// <summary>Per-channel standard deviation divided by after subtracting <see cref="Mean"/>.</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.5f, 0.5f, 0.5f];

    /// <summary>Smallest crop area as a fraction of the image area.</summary>
    public float ScaleMin { get; init; } = 0.08f;

    /// <summary>Largest crop area as a fraction of the image area.</summary>
    public float ScaleMax { get; init; } = 1.0f;

    /// <summary>Smallest crop aspect ratio (width / height); the ratio is drawn log-uniformly.</summary>
    public float RatioMin { get; init; } = 3f / 4f;

    /// <summary>Largest crop aspect ratio (width / height).</summary>
    public float RatioMax { get; init; } = 4f / 3f;

    public float FlipProbability { get; init; } = 0.5f;

    /// <summary>Probability that colour jitter is applied to a view at all.</summary>
    public float JitterProbability { get; init; } = 0.8f;

    /// <summary>Brightness factor is uniform in [max(0, 1 - b), 1 + b]; 0 turns the op off.</summary>
    public float Brightness { get; init; } = 0.8f;

    /// <summary>Contrast factor is uniform in [max(0, 1 - c), 1 + c]; 0 turns the op off.</summary>
    public float Contrast { get; init; } = 0.8f;

    /// <summary>Saturation factor is uniform in [max(0, 1 - s), 1 + s]; 0 turns the op off.</summary>
    public float Saturation { get; init; } = 0.8f;

    /// <summary>Hue shift (in turns) is uniform in [-h, h], h at most 0.5; 0 turns the op off.</summary>
    public float Hue { get; init; } = 0.2f;

    public float GrayscaleProbability { get; init; } = 0.2f;

    /// <summary>CIFAR-10: 32 x 32, mean (0.491, 0.482, 0.447), std (0.247, 0.243, 0.262).</summary>
    public static AugmentOptions Cifar10 { get; } = new()
    {
        Side = 32,
        Mean = [0.491f, 0.482f, 0.447f],
        Std = [0.247f, 0.243f, 0.262f],
    };

    /// <summary>CIFAR-100 and CIFAR-100-20: 32 x 32, mean (0.507, 0.487, 0.441), std (0.267, 0.256, 0.276).</summary>
    public static AugmentOptions Cifar100 { get; } = new()
    {
        Side = 32,
        Mean = [0.507f, 0.487f, 0.441f],
        Std = [0.267f, 0.256f, 0.276f],
    };

    /// <summary>STL-10: 96 x 96, mean 0.5, std 0.5.</summary>
    public static AugmentOptions Stl10 { get; } = new()
    {
        Side = 96,
        Mean = [0.5f, 0.5f, 0.5f],
        Std = [0.5f, 0.5f, 0.5f],
    };

    /// <summary>tiny-ImageNet and SlimageNet64: 64 x 64, mean 0.5, std 0.25.</summary>
    public static AugmentOptions TinyImageNet { get; } = new()
    {
        Side = 64,
        Mean = [0.5f, 0.5f, 0.5f],
        Std = [0.25f, 0.25f, 0.25f],
    };

    /// <summary>
    /// MNIST-shaped grayscale data (28 x 28, one channel): mean 0.1307, std 0.3081, the training-set statistics
    /// in common use. The reference code has no one-channel dataset; these keep inputs near zero mean.
    /// </summary>
    public static AugmentOptions Mnist { get; } = new()
    {
        Side = 28,
        Mean = [0.1307f],
        Std = [0.3081f],
    };

    /// <summary>
    /// The preset for a dataset key: cifar10, cifar100, cifar100-20, stl10, tinyimagenet, slimagenet64, mnist,
    /// fashionmnist (Fashion-MNIST uses the MNIST statistics; its own differ by a few hundredths).
    /// </summary>
    public static AugmentOptions ForDataset(string key)
    {
        return key.ToLowerInvariant() switch
        {
            "cifar10" => Cifar10,
            "cifar100" or "cifar100-20" => Cifar100,
            "stl10" => Stl10,
            "tinyimagenet" or "slimagenet64" => TinyImageNet,
            "mnist" or "fashionmnist" => Mnist,
            _ => throw new ArgumentException(
                $"augment options: no preset for dataset '{key}'; expected one of cifar10, cifar100, cifar100-20, " +
                "stl10, tinyimagenet, slimagenet64, mnist, fashionmnist",
                nameof(key)),
        };
    }

    /// <summary>
    /// One line for logs of what a view of a <paramref name="channels"/>-channel image goes through, leaving out the
    /// stages that do not apply (saturation, hue and grayscale on one channel; ops of strength 0).
    /// </summary>
    public string Describe(int channels)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string F(float x) => x.ToString("0.###", inv);
        var jitter = new List<string>();
        void Add(string name, float strength, bool applies)
        {
            if (strength > 0f && applies)
            {
                jitter.Add($"{name} {F(strength)}");
            }
        }
        Add("brightness", Brightness, true);
        Add("contrast", Contrast, true);
        Add("saturation", Saturation, channels == 3);
        Add("hue", Hue, channels == 3);
        var parts = new List<string>
        {
            $"crop {F(ScaleMin * 100f)}-{F(ScaleMax * 100f)}% of the area",
            $"flip p {F(FlipProbability)}",
            jitter.Count > 0 && JitterProbability > 0f
                ? $"jitter p {F(JitterProbability)} ({string.Join(", ", jitter)})"
                : "no colour jitter",
        };
        if (channels == 3 && GrayscaleProbability > 0f)
        {
            parts.Add($"grayscale p {F(GrayscaleProbability)}");
        }
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Checks every field against images with <paramref name="channels"/> channels; throws on the first problem.
    /// </summary>
    public void Validate(int channels)
    {
        if (channels != 1 && channels != 3)
        {
            throw new ArgumentException($"augment options: images must have 1 or 3 channels, got {channels}");
        }
        Require(Side > 0, $"Side must be positive, got {Side}");
        Require(Mean.Count == channels, $"Mean has {Mean.Count} entries, expected {channels} (one per channel)");
        Require(Std.Count == channels, $"Std has {Std.Count} entries, expected {channels} (one per channel)");
        foreach (float s in Std)
        {
            Require(s > 0f && float.IsFinite(s), $"every Std entry must be positive and finite, got {s}");
        }
        Require(ScaleMin > 0f && ScaleMin <= ScaleMax && ScaleMax <= 1f,
            $"need 0 < ScaleMin <= ScaleMax <= 1, got {ScaleMin}..{ScaleMax}");
        Require(RatioMin > 0f && RatioMin <= RatioMax && float.IsFinite(RatioMax),
            $"need 0 < RatioMin <= RatioMax, got {RatioMin}..{RatioMax}");
        RequireProbability(FlipProbability, nameof(FlipProbability));
        RequireProbability(JitterProbability, nameof(JitterProbability));
        RequireProbability(GrayscaleProbability, nameof(GrayscaleProbability));
        Require(Brightness >= 0f && float.IsFinite(Brightness), $"Brightness must be >= 0, got {Brightness}");
        Require(Contrast >= 0f && float.IsFinite(Contrast), $"Contrast must be >= 0, got {Contrast}");
        Require(Saturation >= 0f && float.IsFinite(Saturation), $"Saturation must be >= 0, got {Saturation}");
        Require(Hue >= 0f && Hue <= 0.5f, $"Hue must be in [0, 0.5], got {Hue}");
    }

    private static void RequireProbability(float p, string name)
    {
        Require(p >= 0f && p <= 1f, $"{name} must be in [0, 1], got {p}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException("augment options: " + message);
        }
    }
}
