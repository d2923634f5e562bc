using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>
/// Launches kernels/augment.cu, the GPU port of src/RelReason/Data/Augmentation: K views of M uint8 HWC images,
/// written as float32 [K*M, C, S, S] in augmentation-major order, with the same bits as the C# augmenter. The
/// constants and view parameters live in device memory with the layouts of the C# structs AugmentConstants
/// (<see cref="ConstantsBytes"/>) and ViewParams (<see cref="ViewParamsBytes"/>); the caller uploads the former.
/// </summary>
internal sealed class AugmentKernels(IKernelLauncher launcher)
{
    /// <summary>Size of AugmentConstants: 28 four-byte fields.</summary>
    internal const int ConstantsBytes = 28 * 4;

    /// <summary>Size of ViewParams: 14 four-byte fields.</summary>
    internal const int ViewParamsBytes = 14 * 4;

    // augment_params_kernel(const RrAugmentConstants* c, unsigned seed, unsigned epoch, const int* imageIds,
    //                       int images, int viewsPerImage, RrViewParams* params)
    internal static readonly KernelId ParamsKernel =
        new("augment", "augment_params_kernel", Ptr, I32, I32, Ptr, I32, I32, Ptr);

    // augment_pixels_kernel(const RrAugmentConstants* c, const RrViewParams* params, const unsigned char* images,
    //                       int imageCount, int views, float* out)
    internal static readonly KernelId PixelsKernel =
        new("augment", "augment_pixels_kernel", Ptr, Ptr, Ptr, I32, I32, Ptr);

    // augment_row_sums_kernel(const RrAugmentConstants* c, const RrViewParams* params, int views, const float* out,
    //                         float* rowSums)
    internal static readonly KernelId RowSumsKernel =
        new("augment", "augment_row_sums_kernel", Ptr, Ptr, I32, Ptr, Ptr);

    // augment_mean_kernel(const RrAugmentConstants* c, const RrViewParams* params, int views, const float* rowSums,
    //                     float* means)
    internal static readonly KernelId MeanKernel = new("augment", "augment_mean_kernel", Ptr, Ptr, I32, Ptr, Ptr);

    // augment_finish_kernel(const RrAugmentConstants* c, const RrViewParams* params, int views, const float* means,
    //                       float* out)
    internal static readonly KernelId FinishKernel = new("augment", "augment_finish_kernel", Ptr, Ptr, I32, Ptr, Ptr);

    // augment_layout_kernel(int* layout)
    internal static readonly KernelId LayoutKernel = new("augment", "augment_layout_kernel", Ptr);

    internal static IEnumerable<KernelId> All =>
        [ParamsKernel, PixelsKernel, RowSumsKernel, MeanKernel, FinishKernel, LayoutKernel];

    /// <summary>Floats of scratch <see cref="Render"/> needs: a row sum per view row and a mean per view.</summary>
    internal static long ScratchFloats(int views, int side) => (long)views * side + views;

    /// <summary>
    /// Phase (a) for every view: params[k * M + m] = the parameters of view k of dataset image imageIds[m] under
    /// (seed, epoch), as Augmenter.DrawParams draws them.
    /// </summary>
    internal void Params(DevicePtr constants, uint seed, uint epoch, DevicePtr imageIds, int images,
        int viewsPerImage, DevicePtr parameters)
    {
        long views = (long)images * viewsPerImage;
        var a = new KernelArgs();
        a.Ptr(constants);
        a.Int(unchecked((int)seed));
        a.Int(unchecked((int)epoch));
        a.Ptr(imageIds);
        a.Int(images);
        a.Int(viewsPerImage);
        a.Ptr(parameters);
        launcher.Launch(ParamsKernel, Grid(views, "augment params"), Threads, ref a);
    }

    /// <summary>
    /// Phase (b) for every view: output [views, C, S, S] from images [imageCount, H, W, C] (view v reads image
    /// v mod imageCount). Four launches: pixels, then for views with contrast the row sums, the mean gray and the
    /// rest of the pipeline (the mean needs every pixel before it, and kernels here do not synchronise threads).
    /// </summary>
    internal void Render(DevicePtr constants, DevicePtr parameters, DevicePtr images, int imageCount, int views,
        int side, DevicePtr output, DevicePtr scratch)
    {
        long pixels = (long)views * side * side;
        DevicePtr rowSums = scratch;
        DevicePtr means = scratch.Floats((long)views * side);
        var a = new KernelArgs();
        a.Ptr(constants);
        a.Ptr(parameters);
        a.Ptr(images);
        a.Int(imageCount);
        a.Int(views);
        a.Ptr(output);
        launcher.Launch(PixelsKernel, Grid(pixels, "augment"), Threads, ref a);
        var r = new KernelArgs();
        r.Ptr(constants);
        r.Ptr(parameters);
        r.Int(views);
        r.Ptr(output);
        r.Ptr(rowSums);
        launcher.Launch(RowSumsKernel, Grid((long)views * side, "augment"), Threads, ref r);
        var m = new KernelArgs();
        m.Ptr(constants);
        m.Ptr(parameters);
        m.Int(views);
        m.Ptr(rowSums);
        m.Ptr(means);
        launcher.Launch(MeanKernel, Grid(views, "augment"), Threads, ref m);
        var f = new KernelArgs();
        f.Ptr(constants);
        f.Ptr(parameters);
        f.Int(views);
        f.Ptr(means);
        f.Ptr(output);
        launcher.Launch(FinishKernel, Grid(pixels, "augment"), Threads, ref f);
    }

    /// <summary>
    /// Both phases for a batch, as IBackend.AugmentViews defines it: output [K*M, C, S, S] (row k*M + m is view k of
    /// image m) from images [M, H, W, C] and their dataset ids [M]. <paramref name="parameters"/> holds K*M
    /// ViewParams and <paramref name="scratch"/> <see cref="ScratchFloats"/>(K*M, S) floats.
    /// </summary>
    internal void Views(DevicePtr constants, uint seed, uint epoch, DevicePtr imageIds, DevicePtr images, int m,
        int k, int side, DevicePtr parameters, DevicePtr output, DevicePtr scratch)
    {
        Params(constants, seed, epoch, imageIds, m, k, parameters);
        Render(constants, parameters, images, m, Count((long)k * m, "augment views"), side, output, scratch);
    }

    /// <summary>Writes the kernel-side struct sizes and offsets (6 ints) for the layout check.</summary>
    internal void Layout(DevicePtr layout)
    {
        var a = new KernelArgs();
        a.Ptr(layout);
        launcher.Launch(LayoutKernel, new Dim3(1), new Dim3(1), ref a);
    }
}
