namespace RelReason.Data.Loading;

/// <summary>Settings of <see cref="PretrainLoader"/>.</summary>
public sealed record PretrainLoaderOptions
{
    /// <summary>K, augmented views made of every image.</summary>
    public int ViewsPerImage { get; init; } = 16;

    /// <summary>M, images per batch (64 in the reference).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the epoch permutation and of every augmentation draw.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Worker threads that read and augment images.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Batches prepared ahead of the one being consumed. Each costs one buffer of
    /// K x M x C x S x S floats (113 MB for STL-10 with K = 16, M = 64).
    /// </summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>Drop the last, smaller batch of an epoch. The reference keeps it (drop_last=False).</summary>
    public bool DropLast { get; init; }

    /// <summary>Visit the images in a seeded random order each epoch (true), or in index order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Render the K views on the CPU (true), or hand out only the image bytes, indices and labels for a device
    /// that augments by itself (false).
    /// </summary>
    public bool RenderViews { get; init; } = true;

    internal void Validate()
    {
        Require(ViewsPerImage >= 1, $"ViewsPerImage must be >= 1, got {ViewsPerImage}");
        Require(BatchSize >= 1, $"BatchSize must be >= 1, got {BatchSize}");
        Require(Threads >= 1, $"Threads must be >= 1, got {Threads}");
        Require(Prefetch >= 0, $"Prefetch must be >= 0, got {Prefetch}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException("pretrain loader options: " + message);
        }
    }
}

/// <summary>Settings of <see cref="EvalLoader"/>.</summary>
public sealed record EvalLoaderOptions
{
    /// <summary>Images per batch (128 in the reference's linear evaluation).</summary>
    public int BatchSize { get; init; } = 128;

    public int Threads { get; init; } = Environment.ProcessorCount;

    public int Prefetch { get; init; } = 2;

    /// <summary>Drop the last, smaller batch; false by default, so every image is evaluated.</summary>
    public bool DropLast { get; init; }

    /// <summary>Bring images to Side x Side (centre square, bilinear) instead of keeping their own size.</summary>
    public bool ResizeToSide { get; init; }

    internal void Validate()
    {
        if (BatchSize < 1 || Threads < 1 || Prefetch < 0)
        {
            throw new ArgumentException(
                $"eval loader options: need BatchSize >= 1, Threads >= 1, Prefetch >= 0; got {BatchSize}, " +
                $"{Threads}, {Prefetch}");
        }
    }
}
