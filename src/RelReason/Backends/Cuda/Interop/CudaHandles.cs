using System.Runtime.InteropServices;

namespace RelReason.Backends.Cuda.Interop;

/// <summary>
/// The retained primary context of one device. Context-bound handles add a reference to it, so it is released
/// (cuDevicePrimaryCtxRelease_v2) only after every module, stream, allocation and library handle made in it.
/// </summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    private int _device;

    private PrimaryContextHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    internal int Device => _device;

    internal static PrimaryContextHandle Retain(int device)
    {
        var context = new PrimaryContextHandle { _device = device };
        CuDriver.Check(CuDriver.cuDevicePrimaryCtxRetain(out nint raw, device));
        context.SetHandle(raw);
        return context;
    }

    /// <summary>Makes the context current on the calling thread (the current context is per OS thread).</summary>
    internal void MakeCurrent() => CuDriver.Check(CuDriver.cuCtxSetCurrent(handle));

    protected override bool ReleaseHandle() =>
        CuDriver.IsBenignAtShutdown(CuDriver.cuDevicePrimaryCtxRelease(_device));
}

/// <summary>
/// A driver or library object that lives in a context. Release makes that context current first: it may run on
/// the finalizer thread, where no context is current. Codes meaning "the context or driver is already gone" count
/// as released; other failures only make ReleaseHandle return false (never an exception from a finalizer).
/// </summary>
internal abstract class ContextBoundHandle : SafeHandle
{
    private PrimaryContextHandle? _context;

    protected ContextBoundHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected void Attach(PrimaryContextHandle context, nint value)
    {
        bool added = false;
        context.DangerousAddRef(ref added);
        _context = context;
        SetHandle(value);
    }

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            CUresult current = CuDriver.cuCtxSetCurrent(_context!.DangerousGetHandle());
            return CuDriver.IsBenignAtShutdown(current) && Destroy(handle);
        }
        finally
        {
            _context!.DangerousRelease();
        }
    }

    /// <summary>Destroys the native object; true when it is gone.</summary>
    protected abstract bool Destroy(nint value);
}

/// <summary>A loaded module (cuModuleLoadDataEx).</summary>
internal sealed class CudaModuleHandle : ContextBoundHandle
{
    internal static CudaModuleHandle Wrap(PrimaryContextHandle context, nint module)
    {
        var h = new CudaModuleHandle();
        h.Attach(context, module);
        return h;
    }

    protected override bool Destroy(nint value) => CuDriver.IsBenignAtShutdown(CuDriver.cuModuleUnload(value));
}

/// <summary>A stream (cuStreamCreate).</summary>
internal sealed class StreamHandle : ContextBoundHandle
{
    internal static StreamHandle Create(PrimaryContextHandle context, uint flags)
    {
        var h = new StreamHandle();
        CuDriver.Check(CuDriver.cuStreamCreate(out nint stream, flags));
        h.Attach(context, stream);
        return h;
    }

    protected override bool Destroy(nint value) => CuDriver.IsBenignAtShutdown(CuDriver.cuStreamDestroy(value));
}

/// <summary>An event (cuEventCreate), for timing and cross-stream waits.</summary>
internal sealed class EventHandle : ContextBoundHandle
{
    internal static EventHandle Create(PrimaryContextHandle context, uint flags)
    {
        var h = new EventHandle();
        CuDriver.Check(CuDriver.cuEventCreate(out nint evt, flags));
        h.Attach(context, evt);
        return h;
    }

    protected override bool Destroy(nint value) => CuDriver.IsBenignAtShutdown(CuDriver.cuEventDestroy(value));
}

/// <summary>A device allocation (cuMemAlloc_v2); the handle value is the CUdeviceptr.</summary>
internal sealed class DeviceAllocation : ContextBoundHandle
{
    internal long Bytes { get; private init; }

    internal ulong Pointer => (ulong)handle;

    /// <summary>Allocates, or returns null when the device is out of memory (the pool trims and retries).</summary>
    internal static DeviceAllocation? TryAllocate(PrimaryContextHandle context, long bytes)
    {
        var h = new DeviceAllocation { Bytes = bytes };
        CUresult result = CuDriver.cuMemAlloc(out ulong pointer, (nuint)bytes);
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
        {
            return null;
        }
        CuDriver.Check(result, $"cuMemAlloc_v2({bytes} bytes)");
        h.Attach(context, (nint)pointer);
        return h;
    }

    protected override bool Destroy(nint value) => CuDriver.IsBenignAtShutdown(CuDriver.cuMemFree((ulong)value));
}

/// <summary>A cuBLAS handle (cublasCreate_v2); released before the primary context.</summary>
internal sealed class CublasHandle : ContextBoundHandle
{
    internal static CublasHandle Create(PrimaryContextHandle context)
    {
        var h = new CublasHandle();
        CuBlas.Check(CuBlas.cublasCreate(out nint blas));
        h.Attach(context, blas);
        return h;
    }

    protected override bool Destroy(nint value) =>
        CuBlas.cublasDestroy(value) == cublasStatus.CUBLAS_STATUS_SUCCESS;
}

/// <summary>A cuDNN handle (cudnnCreate); released before the primary context.</summary>
internal sealed class CudnnHandle : ContextBoundHandle
{
    internal static CudnnHandle Create(PrimaryContextHandle context)
    {
        var h = new CudnnHandle();
        CuDnn.Check(CuDnn.cudnnCreate(out nint dnn));
        h.Attach(context, dnn);
        return h;
    }

    protected override bool Destroy(nint value) => CuDnn.cudnnDestroy(value) == cudnnStatus.CUDNN_STATUS_SUCCESS;
}

/// <summary>The kinds of cuDNN descriptor (host objects, not bound to a context).</summary>
internal enum CudnnDescriptorKind
{
    Tensor,
    Filter,
    Convolution,
    Pooling,
    Activation,
}

/// <summary>A cuDNN descriptor; created empty, then set by the caller with the matching cudnnSet* call.</summary>
internal sealed class CudnnDescriptor : SafeHandle
{
    private CudnnDescriptorKind _kind;

    private CudnnDescriptor()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    internal nint Value => handle;

    internal static CudnnDescriptor Create(CudnnDescriptorKind kind)
    {
        var d = new CudnnDescriptor { _kind = kind };
        nint raw;
        switch (kind)
        {
            case CudnnDescriptorKind.Tensor:
                CuDnn.Check(CuDnn.cudnnCreateTensorDescriptor(out raw));
                break;
            case CudnnDescriptorKind.Filter:
                CuDnn.Check(CuDnn.cudnnCreateFilterDescriptor(out raw));
                break;
            case CudnnDescriptorKind.Convolution:
                CuDnn.Check(CuDnn.cudnnCreateConvolutionDescriptor(out raw));
                break;
            case CudnnDescriptorKind.Pooling:
                CuDnn.Check(CuDnn.cudnnCreatePoolingDescriptor(out raw));
                break;
            default:
                CuDnn.Check(CuDnn.cudnnCreateActivationDescriptor(out raw));
                break;
        }
        d.SetHandle(raw);
        return d;
    }

    protected override bool ReleaseHandle()
    {
        cudnnStatus status = _kind switch
        {
            CudnnDescriptorKind.Tensor => CuDnn.cudnnDestroyTensorDescriptor(handle),
            CudnnDescriptorKind.Filter => CuDnn.cudnnDestroyFilterDescriptor(handle),
            CudnnDescriptorKind.Convolution => CuDnn.cudnnDestroyConvolutionDescriptor(handle),
            CudnnDescriptorKind.Pooling => CuDnn.cudnnDestroyPoolingDescriptor(handle),
            _ => CuDnn.cudnnDestroyActivationDescriptor(handle),
        };
        return status == cudnnStatus.CUDNN_STATUS_SUCCESS;
    }
}
