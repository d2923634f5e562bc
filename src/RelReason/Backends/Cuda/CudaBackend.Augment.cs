using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;
using RelReason.Data.Augmentation;
using RelReason.Tensors;

namespace RelReason.Backends.Cuda;

public sealed unsafe partial class CudaBackend
{
    /// <summary>
    /// kernels/augment.cu: the images' bytes, their ids and the augmenter's constants go up (M*H*W*C bytes instead
    /// of K*M*C*S*S floats of rendered views), then two phases run on the stream: view parameters, then pixels.
    /// The temporary blocks go back to the pool at once: work queued later on the one stream is ordered after
    /// these kernels, so a block cannot be overwritten while they still read it.
    /// </summary>
    public void AugmentViews(Augmenter augmenter, ReadOnlySpan<byte> images, ReadOnlySpan<int> imageIds, int seed,
        int epoch, int k, Tensor views)
    {
        int m = ShapeCheck.Augment(augmenter, images.Length, imageIds.Length, k, views);
        DevicePtr output = Ptr(views);
        AugmentConstants constants = augmenter.Constants;
        int viewCount = k * m;
        DeviceAllocation constantsBlock = UploadBytes(new ReadOnlySpan<AugmentConstants>(in constants));
        DeviceAllocation idsBlock = UploadBytes(imageIds);
        DeviceAllocation imagesBlock = UploadBytes(images);
        DeviceAllocation paramsBlock = _device.Pool.Rent((long)viewCount * AugmentKernels.ViewParamsBytes);
        try
        {
            DevicePtr scratch = _scratch.Floats(AugmentKernels.ScratchFloats(viewCount, augmenter.Side));
            _augment.Views(new DevicePtr(constantsBlock.Pointer), unchecked((uint)seed), unchecked((uint)epoch),
                new DevicePtr(idsBlock.Pointer), new DevicePtr(imagesBlock.Pointer), m, k, augmenter.Side,
                new DevicePtr(paramsBlock.Pointer), output, scratch);
        }
        finally
        {
            _device.Pool.Return(paramsBlock);
            _device.Pool.Return(imagesBlock);
            _device.Pool.Return(idsBlock);
            _device.Pool.Return(constantsBlock);
        }
    }
}
