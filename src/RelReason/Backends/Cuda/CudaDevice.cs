using RelReason.Backends.Cuda.Interop;
using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Backends.Cuda;

/// <summary>
/// What the CUDA backend holds on one GPU: the primary context, one stream (all work is queued on it, in order),
/// the cuBLAS and cuDNN handles bound to that stream, the kernel launcher and the memory pool. The current context
/// is per OS thread, so every entry point calls <see cref="MakeCurrent"/> first.
/// </summary>
internal sealed class CudaDevice : IDisposable
{
    [ThreadStatic]
    private static nint t_current;

    private readonly PrimaryContextHandle _context;
    private readonly nint _contextValue;
    private bool _disposed;

    internal CudaDevice(int ordinal, bool allowTf32, Action<string>? log)
    {
        Ordinal = ordinal;
        CuDriver.Check(CuDriver.cuInit(0));
        CuDriver.Check(CuDriver.cuDeviceGet(out int device, ordinal));
        _context = PrimaryContextHandle.Retain(device);
        _contextValue = _context.DangerousGetHandle();
        MakeCurrent();
        // Flags 0: a blocking stream, so legacy-stream calls by other libraries stay ordered with it.
        Stream = StreamHandle.Create(_context, 0);
        Blas = CublasHandle.Create(_context);
        CuBlas.Check(CuBlas.cublasSetStream(Blas.DangerousGetHandle(), StreamValue));
        CuBlas.Check(CuBlas.cublasSetMathMode(Blas.DangerousGetHandle(),
            allowTf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH));
        Dnn = CudnnHandle.Create(_context);
        CuDnn.Check(CuDnn.cudnnSetStream(Dnn.DangerousGetHandle(), StreamValue));
        Pool = new DeviceMemoryPool(_context);
        Launcher = new CudaKernelLauncher(_context, Stream, log);
    }

    internal int Ordinal { get; }

    internal PrimaryContextHandle Context => _context;

    internal StreamHandle Stream { get; }

    internal nint StreamValue => Stream.DangerousGetHandle();

    internal CublasHandle Blas { get; }

    internal nint BlasValue => Blas.DangerousGetHandle();

    internal CudnnHandle Dnn { get; }

    internal nint DnnValue => Dnn.DangerousGetHandle();

    internal DeviceMemoryPool Pool { get; }

    internal CudaKernelLauncher Launcher { get; }

    /// <summary>Makes the context current on the calling thread (a cheap check when it already is).</summary>
    internal void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t_current != _contextValue)
        {
            _context.MakeCurrent();
            t_current = _contextValue;
        }
    }

    /// <summary>Waits for the stream; errors of earlier asynchronous work surface here.</summary>
    internal void Synchronize()
    {
        MakeCurrent();
        CuDriver.Check(CuDriver.cuStreamSynchronize(StreamValue));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        // Order: finish queued work, then modules, memory and library handles, and the context last (the context
        // handle is reference-counted by every other handle, so it is released only after them anyway). A failed
        // synchronisation is reported after everything is released.
        CUresult current = CuDriver.cuCtxSetCurrent(_contextValue);
        CUresult sync = current == CUresult.CUDA_SUCCESS ? CuDriver.cuStreamSynchronize(StreamValue) : current;
        Launcher.Dispose();
        Pool.Dispose();
        Dnn.Dispose();
        Blas.Dispose();
        Stream.Dispose();
        _context.Dispose();
        t_current = 0;
        _disposed = true;
        if (!CuDriver.IsBenignAtShutdown(sync))
        {
            CuDriver.Check(sync, "cuStreamSynchronize while disposing the CUDA backend");
        }
    }
}
