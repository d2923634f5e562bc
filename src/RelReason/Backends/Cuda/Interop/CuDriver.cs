using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RelReason.Backends.Cuda.Interop;

/// <summary>CUresult of cuda.h (the codes this program meets; any other value still round-trips).</summary>
internal enum CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_STUB_LIBRARY = 34,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_CONTEXT_IS_DESTROYED = 709,
    CUDA_ERROR_MISALIGNED_ADDRESS = 716,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
    CUDA_ERROR_UNKNOWN = 999,
}

/// <summary>The CUdevice_attribute values read by the probe.</summary>
internal enum CUdevice_attribute
{
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
}

/// <summary>CUjit_option values used when loading PTX.</summary>
internal enum CUjit_option
{
    CU_JIT_INFO_LOG_BUFFER = 3,
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    CU_JIT_ERROR_LOG_BUFFER = 5,
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
}

/// <summary>
/// The CUDA driver API (libcuda.so.1). Every name that cuda.h maps to a versioned symbol is bound to that
/// symbol (the unversioned exports keep a legacy ABI with 32-bit device pointers). Types: CUdevice = int,
/// CUdeviceptr = ulong, CUcontext/CUstream/CUevent/CUmodule/CUfunction = nint, size_t = nuint.
/// </summary>
internal static unsafe partial class CuDriver
{
    private const string Lib = CudaLibraries.Driver;

    static CuDriver() => CudaLibraries.EnsureResolver();

    [LibraryImport(Lib)]
    internal static partial CUresult cuInit(uint flags);

    [LibraryImport(Lib)]
    internal static partial CUresult cuDriverGetVersion(out int version);

    [LibraryImport(Lib)]
    internal static partial CUresult cuDeviceGetCount(out int count);

    [LibraryImport(Lib)]
    internal static partial CUresult cuDeviceGet(out int device, int ordinal);

    [LibraryImport(Lib)]
    internal static partial CUresult cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(Lib)]
    internal static partial CUresult cuDeviceGetAttribute(out int value, CUdevice_attribute attribute, int device);

    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")]
    internal static partial CUresult cuDeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Lib)]
    internal static partial CUresult cuDevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    internal static partial CUresult cuDevicePrimaryCtxRelease(int device);

    [LibraryImport(Lib)]
    internal static partial CUresult cuCtxSetCurrent(nint context);

    [LibraryImport(Lib)]
    internal static partial CUresult cuCtxGetCurrent(out nint context);

    [LibraryImport(Lib)]
    internal static partial CUresult cuCtxSynchronize();

    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")]
    internal static partial CUresult cuMemGetInfo(out nuint free, out nuint total);

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")]
    internal static partial CUresult cuMemAlloc(out ulong pointer, nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")]
    internal static partial CUresult cuMemFree(ulong pointer);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    internal static partial CUresult cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    internal static partial CUresult cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    internal static partial CUresult cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    /// <summary>Sets <paramref name="count"/> 32-bit words; the async memsets have no _v2 export.</summary>
    [LibraryImport(Lib)]
    internal static partial CUresult cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    [LibraryImport(Lib)]
    internal static partial CUresult cuStreamCreate(out nint stream, uint flags);

    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")]
    internal static partial CUresult cuStreamDestroy(nint stream);

    [LibraryImport(Lib)]
    internal static partial CUresult cuStreamSynchronize(nint stream);

    [LibraryImport(Lib)]
    internal static partial CUresult cuEventCreate(out nint evt, uint flags);

    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")]
    internal static partial CUresult cuEventDestroy(nint evt);

    [LibraryImport(Lib)]
    internal static partial CUresult cuEventRecord(nint evt, nint stream);

    [LibraryImport(Lib)]
    internal static partial CUresult cuEventSynchronize(nint evt);

    [LibraryImport(Lib)]
    internal static partial CUresult cuEventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(Lib)]
    internal static partial CUresult cuModuleLoadDataEx(out nint module, void* image, uint optionCount,
        CUjit_option* options, void** optionValues);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial CUresult cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(Lib)]
    internal static partial CUresult cuModuleUnload(nint module);

    [LibraryImport(Lib)]
    internal static partial CUresult cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedMemoryBytes, nint stream, void** kernelParams,
        void** extra);

    [LibraryImport(Lib)]
    internal static partial CUresult cuGetErrorName(CUresult error, out nint name);

    [LibraryImport(Lib)]
    internal static partial CUresult cuGetErrorString(CUresult error, out nint description);

    /// <summary>The driver's name for a code (static string, never freed), or the enum name if it has none.</summary>
    internal static string ErrorName(CUresult result)
    {
        return cuGetErrorName(result, out nint p) == CUresult.CUDA_SUCCESS && p != 0
            ? Marshal.PtrToStringUTF8(p) ?? result.ToString()
            : result.ToString();
    }

    internal static string ErrorDescription(CUresult result)
    {
        return cuGetErrorString(result, out nint p) == CUresult.CUDA_SUCCESS && p != 0
            ? Marshal.PtrToStringUTF8(p) ?? "unknown error"
            : "unknown error";
    }

    /// <summary>Throws <see cref="CudaException"/> naming the call unless the driver returned CUDA_SUCCESS.</summary>
    internal static void Check(CUresult result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CUresult.CUDA_SUCCESS)
        {
            throw new CudaException("CUDA driver", (int)result, ErrorName(result), ErrorDescription(result), call);
        }
    }

    /// <summary>
    /// True for the codes a destroy call may return at process exit, when the context or the driver is already
    /// gone; those are not failures of the object being released.
    /// </summary>
    internal static bool IsBenignAtShutdown(CUresult result) =>
        result is CUresult.CUDA_SUCCESS or CUresult.CUDA_ERROR_DEINITIALIZED
            or CUresult.CUDA_ERROR_INVALID_CONTEXT or CUresult.CUDA_ERROR_CONTEXT_IS_DESTROYED;
}
