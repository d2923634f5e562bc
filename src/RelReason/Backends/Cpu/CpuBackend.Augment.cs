using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// The C# augmenter, one view per work item, split over the backend's workers. Each view is a pure function of
    /// its (seed, epoch, image id, view) and the image's bytes, so the split does not change a bit.
    /// </summary>
    public void AugmentViews(Augmenter augmenter, ReadOnlySpan<byte> images, ReadOnlySpan<int> imageIds, int seed,
        int epoch, int k, Tensor views)
    {
        int m = ShapeCheck.Augment(augmenter, images.Length, imageIds.Length, k, views);
        int imageBytes = augmenter.ImageBytes, viewLength = augmenter.ViewLength;
        float* output = Ptr(views);
        fixed (byte* pinnedImages = images)
        fixed (int* pinnedIds = imageIds)
        {
            // Copies of the fixed pointers: the lambda may not capture fixed locals; the loop ends inside the
            // fixed block, so the memory stays pinned while the workers read it.
            byte* source = pinnedImages;
            int* ids = pinnedIds;
            _parallel.For((long)k * m, (start, end, _) =>
            {
                for (long v = start; v < end; v++)
                {
                    int view = (int)(v / m), image = (int)(v % m);
                    augmenter.RenderView(seed, epoch, ids[image], view,
                        new ReadOnlySpan<byte>(source + (long)image * imageBytes, imageBytes),
                        new Span<float>(output + v * viewLength, viewLength));
                }
            });
        }
    }
}
