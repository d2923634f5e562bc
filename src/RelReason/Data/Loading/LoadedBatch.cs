namespace RelReason.Data.Loading;

/// <summary>
/// One batch handed out by a loader: M images (bytes, dataset indices, labels) and, when rendered, their float
/// rows. A batch object is a reusable buffer owned by the loader: it is valid until the consumer asks for the
/// next batch (or disposes the enumeration), after which the loader refills it.
/// </summary>
/// <remarks>
/// Buffers are allocated once, at the capacity of a full batch, with
/// <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c>: on the pinned object heap they never move, so a pointer
/// taken once (<c>fixed</c>, or registered with <c>cuMemHostRegister</c> for truly page-locked transfers) stays
/// valid for the loader's lifetime, and the GC frees them. They are not 64-byte aligned (only 8); copies to a
/// GPU do not need more. NativeMemory would give alignment but needs explicit frees on every exit path.
/// </remarks>
public sealed class LoadedBatch
{
    private readonly int[] _indices;
    private readonly int[] _labels;
    private readonly byte[] _images;
    private readonly float[] _values;

    internal LoadedBatch(int capacity, int imageBytes, int rowsPerImage, int rowLength, bool hasLabels, bool render)
    {
        Capacity = capacity;
        ImageBytes = imageBytes;
        RowsPerImage = rowsPerImage;
        RowLength = rowLength;
        HasLabels = hasLabels;
        _indices = new int[capacity];
        _labels = hasLabels ? new int[capacity] : [];
        _images = GC.AllocateArray<byte>(capacity * imageBytes, pinned: true);
        _values = render ? GC.AllocateArray<float>(checked(capacity * rowsPerImage * rowLength), pinned: true) : [];
    }

    /// <summary>Epoch this batch belongs to.</summary>
    public int Epoch { get; internal set; }

    /// <summary>Position of the batch within its epoch (0-based).</summary>
    public int Index { get; internal set; }

    /// <summary>Images in this batch, M; an epoch's last batch may hold fewer than <see cref="Capacity"/>.</summary>
    public int Count { get; internal set; }

    /// <summary>Images in a full batch.</summary>
    public int Capacity { get; }

    /// <summary>Bytes of one image (H x W x C).</summary>
    public int ImageBytes { get; }

    /// <summary>Float rows per image: K views for pretraining, 1 for evaluation.</summary>
    public int RowsPerImage { get; }

    /// <summary>Floats per row: C x S x S.</summary>
    public int RowLength { get; }

    /// <summary>Rows of <see cref="Values"/>: RowsPerImage x Count.</summary>
    public int Rows => RowsPerImage * Count;

    public bool HasLabels { get; }

    /// <summary>Whether <see cref="Values"/> is filled (false when the loader only hands out bytes).</summary>
    public bool HasValues => _values.Length > 0;

    /// <summary>Dataset index of each image, in batch order.</summary>
    public ReadOnlySpan<int> ImageIndices => _indices.AsSpan(0, Count);

    /// <summary>Label of each image in batch order; empty when the dataset has none.</summary>
    public ReadOnlySpan<int> Labels => HasLabels ? _labels.AsSpan(0, Count) : [];

    /// <summary>The images as uint8, [Count, H, W, C].</summary>
    public ReadOnlySpan<byte> Images => _images.AsSpan(0, Count * ImageBytes);

    /// <summary>
    /// The rows as float32, [Rows, C, S, S]. For pretraining, augmentation-major: row k*Count + m is view k of
    /// image m. For evaluation, row m is image m. Empty when <see cref="HasValues"/> is false.
    /// </summary>
    public ReadOnlySpan<float> Values => HasValues ? _values.AsSpan(0, Rows * RowLength) : [];

    /// <summary>The pinned array behind <see cref="Values"/> (full capacity), for copying out by pointer.</summary>
    public float[] ValuesBuffer => _values;

    /// <summary>The pinned array behind <see cref="Images"/> (full capacity), for copying out by pointer.</summary>
    public byte[] ImagesBuffer => _images;

    /// <summary>One row of <see cref="Values"/>.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.Slice(row * RowLength, RowLength);

    internal int[] IndicesArray => _indices;

    internal int[] LabelsArray => _labels;

    internal Span<byte> ImageSlot(int m) => _images.AsSpan(m * ImageBytes, ImageBytes);

    internal Span<float> RowSlot(int row) => _values.AsSpan(row * RowLength, RowLength);

    /// <summary>Bytes held by this batch's buffers.</summary>
    internal long BufferBytes => (long)_images.Length + 4L * _values.Length + 4L * (_indices.Length + _labels.Length);
}
