using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RelReason.Backends.Cuda.Interop;

/// <summary>cublasStatus_t.</summary>
internal enum cublasStatus
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary>cublasOperation_t.</summary>
internal enum cublasOperation
{
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
}

/// <summary>cublasMath_t.</summary>
internal enum cublasMath
{
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
}

/// <summary>libraryPropertyType (library_types.h), for <see cref="CuBlas.cublasGetProperty"/>.</summary>
internal enum libraryPropertyType
{
    MAJOR_VERSION = 0,
    MINOR_VERSION = 1,
    PATCH_LEVEL = 2,
}

/// <summary>
/// cuBLAS v2 API. Every handle-taking function is bound to its _v2 export: libcublas also exports the legacy
/// handle-less cublasSgemm and friends under the plain names, with another ABI. Device pointers are ulong; alpha
/// and beta are host pointers (the default CUBLAS_POINTER_MODE_HOST).
/// </summary>
internal static unsafe partial class CuBlas
{
    private const string Lib = CudaLibraries.Blas;

    static CuBlas() => CudaLibraries.EnsureResolver();

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")]
    internal static partial cublasStatus cublasCreate(out nint handle);

    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")]
    internal static partial cublasStatus cublasDestroy(nint handle);

    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")]
    internal static partial cublasStatus cublasSetStream(nint handle, nint stream);

    [LibraryImport(Lib)]
    internal static partial cublasStatus cublasSetMathMode(nint handle, cublasMath mode);

    [LibraryImport(Lib)]
    internal static partial cublasStatus cublasGetProperty(libraryPropertyType type, out int value);

    /// <summary>Column-major C = alpha op(A) op(B) + beta C with C m x n.</summary>
    [LibraryImport(Lib, EntryPoint = "cublasSgemm_v2")]
    internal static partial cublasStatus cublasSgemm(nint handle, cublasOperation transA, cublasOperation transB,
        int m, int n, int k, float* alpha, ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);

    [LibraryImport(Lib)]
    internal static partial nint cublasGetStatusName(cublasStatus status);

    [LibraryImport(Lib)]
    internal static partial nint cublasGetStatusString(cublasStatus status);

    internal static void Check(cublasStatus status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS)
        {
            string name = Marshal.PtrToStringUTF8(cublasGetStatusName(status)) ?? status.ToString();
            string text = Marshal.PtrToStringUTF8(cublasGetStatusString(status)) ?? "unknown status";
            throw new CudaException("cuBLAS", (int)status, name, text, call);
        }
    }

    /// <summary>"major.minor.patch" of the loaded library (needs no handle, so no GPU).</summary>
    internal static string Version()
    {
        Check(cublasGetProperty(libraryPropertyType.MAJOR_VERSION, out int major));
        Check(cublasGetProperty(libraryPropertyType.MINOR_VERSION, out int minor));
        Check(cublasGetProperty(libraryPropertyType.PATCH_LEVEL, out int patch));
        return $"{major}.{minor}.{patch}";
    }
}
