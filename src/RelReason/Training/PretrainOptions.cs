using RelReason.Backends;

namespace RelReason.Training;

/// <summary>
/// Everything that defines a pretraining run (saved as config.json and in every checkpoint). The properties have
/// setters rather than init accessors on purpose: the source-generated JSON reader then keeps the defaults of fields
/// a stored configuration lacks (one written by an older version), where init-only properties would read as zero.
/// </summary>
public sealed record PretrainOptions
{
    /// <summary>Catalog name of the dataset ("default" is the shipped Fashion-MNIST subset).</summary>
    public string Dataset { get; set; } = "default";

    /// <summary>The dataset's folder when it is not under the data root (required for "folder").</summary>
    public string? DataPath { get; set; }

    /// <summary>The split trained on; STL-10 uses "unlabeled" as the reference does.</summary>
    public string Split { get; set; } = "train";

    public string Backbone { get; set; } = "conv4";

    /// <summary>K, augmented views per image.</summary>
    public int K { get; set; } = 32;

    /// <summary>M, images per step.</summary>
    public int M { get; set; } = 64;

    public int Epochs { get; set; } = 200;

    /// <summary>Stop after this many steps in all (0: run every epoch).</summary>
    public int MaxSteps { get; set; }

    public float LearningRate { get; set; } = 1e-3f;

    public BinaryLossKind Loss { get; set; } = BinaryLossKind.Focal;

    public Aggregation Aggregation { get; set; } = Aggregation.Cat;

    public int Seed { get; set; } = 1;

    /// <summary>Drop the last, smaller batch of each epoch (the reference keeps it).</summary>
    public bool DropLast { get; set; }

    /// <summary>
    /// Image folders and tiny-ImageNet: every image is resized to this side when loaded (needed when a folder's
    /// images differ in size); 0 keeps the stored size.
    /// </summary>
    public int ImageSize { get; set; }

    /// <summary>Input side of the views; 0 takes the dataset's crop side.</summary>
    public int Size { get; set; }

    /// <summary>Smallest random crop, as a fraction of the image area (the reference: 0.08).</summary>
    public float CropScaleMin { get; set; } = 0.08f;

    /// <summary>
    /// Colour-jitter strength s: brightness, contrast and saturation factors in [1 - 0.8s, 1 + 0.8s] and a hue shift
    /// in [-0.2s, 0.2s] turns. 1 is the reference's ColorJitter(0.8, 0.8, 0.8, 0.2); 0 turns jitter off.
    /// </summary>
    public float ColorStrength { get; set; } = 1f;

    /// <summary>Log a line (and a metrics record) every this many steps.</summary>
    public int LogEvery { get; set; } = 10;

    /// <summary>
    /// Measure k-NN accuracy (train split as gallery, test split as queries) every this many epochs and at the end
    /// of the run (0: never). Needs a dataset with labelled train and test splits.
    /// </summary>
    public int KnnEvery { get; set; }

    /// <summary>Write a checkpoint every this many steps (0: at the end of each epoch only).</summary>
    public int CheckpointEvery { get; set; }

    public string Device { get; set; } = "auto";

    /// <summary>Compute threads on the CPU (and loader threads).</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>How the run's dataset is opened: its folder, and the resize of <see cref="ImageSize"/>.</summary>
    public Data.DatasetOpenOptions OpenOptions(Action<string>? warn = null) => new()
    {
        Path = DataPath,
        Warn = warn,
        Images = ImageSize > 0 ? new Data.Readers.ImageFolderOptions { Size = ImageSize, Warn = warn } : null,
    };

    /// <summary>Throws with the option name when a value cannot work.</summary>
    public void Validate()
    {
        Require(K >= 2, $"--k must be >= 2 (pairs need two views of an image), got {K}");
        Require(M >= 2, $"--m must be >= 2 (negatives come from other images of the batch), got {M}");
        Require(Epochs >= 1, $"--epochs must be >= 1, got {Epochs}");
        Require(MaxSteps >= 0, $"--max-steps must be >= 0, got {MaxSteps}");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"--lr must be positive, got {LearningRate}");
        Require(CropScaleMin > 0 && CropScaleMin <= 1, $"--crop-min must be in (0, 1], got {CropScaleMin}");
        Require(ColorStrength >= 0 && ColorStrength <= 2.5f,
            $"--color-strength must be in [0, 2.5] (a hue shift of at most half a turn), got {ColorStrength}");
        Require(LogEvery >= 1, $"--log-every must be >= 1, got {LogEvery}");
        Require(ImageSize >= 0, $"--image-size must be >= 0, got {ImageSize}");
        Require(ImageSize == 0 || Dataset is "folder" or "tiny-imagenet",
            $"--image-size applies to image files (folder, tiny-imagenet), not to {Dataset}");
        Require(KnnEvery >= 0, $"--knn-every must be >= 0, got {KnnEvery}");
        Require(CheckpointEvery >= 0, $"--checkpoint-every must be >= 0, got {CheckpointEvery}");
        Require(Threads >= 1, $"--threads must be >= 1, got {Threads}");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }
}
