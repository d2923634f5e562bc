using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RelReason.Backends.Cuda.Interop;

/// <summary>
/// cudnnStatus_t of cuDNN 9 (cuDNN 8 used 1..9 for the same ideas, so messages always come from
/// cudnnGetErrorString rather than from these names).
/// </summary>
internal enum cudnnStatus
{
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH = 1002,
    CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED = 1008,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
}

internal enum cudnnDataType
{
    CUDNN_DATA_FLOAT = 0,
}

internal enum cudnnTensorFormat
{
    CUDNN_TENSOR_NCHW = 0,
}

internal enum cudnnConvolutionMode
{
    CUDNN_CROSS_CORRELATION = 1,
}

internal enum cudnnMathType
{
    CUDNN_DEFAULT_MATH = 0,
    CUDNN_TENSOR_OP_MATH = 1,
    /// <summary>No tensor cores, so no TF32: full float32 convolutions.</summary>
    CUDNN_FMA_MATH = 3,
}

internal enum cudnnBatchNormMode
{
    CUDNN_BATCHNORM_PER_ACTIVATION = 0,
    CUDNN_BATCHNORM_SPATIAL = 1,
}

internal enum cudnnPoolingMode
{
    CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
    CUDNN_POOLING_MAX_DETERMINISTIC = 3,
}

internal enum cudnnActivationMode
{
    CUDNN_ACTIVATION_RELU = 1,
}

internal enum cudnnNanPropagation
{
    CUDNN_NOT_PROPAGATE_NAN = 0,
    CUDNN_PROPAGATE_NAN = 1,
}

/// <summary>
/// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t, 48 bytes: algo@0, status@4, time@8, memory@16,
/// determinism@24, mathType@28, reserved[3]. The three perf structs share this layout.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct cudnnAlgoPerf
{
    public int Algo;
    public cudnnStatus Status;
    public float Time;
    public nuint Memory;
    public int Determinism;
    public int MathType;
    public int Reserved0;
    public int Reserved1;
    public int Reserved2;
}

/// <summary>
/// cuDNN's legacy API (deprecated in 9.x, still exported by the libcudnn.so.9 shim), bound by its plain names.
/// Handles and descriptors are nint, device pointers ulong; alpha/beta scaling factors are host float pointers,
/// batch norm factors double.
/// </summary>
internal static unsafe partial class CuDnn
{
    private const string Lib = CudaLibraries.Dnn;

    static CuDnn() => CudaLibraries.EnsureResolver();

    [LibraryImport(Lib)]
    internal static partial nuint cudnnGetVersion();

    [LibraryImport(Lib)]
    internal static partial nint cudnnGetErrorString(cudnnStatus status);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnCreate(out nint handle);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDestroy(nint handle);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetStream(nint handle, nint stream);

    // ---- descriptors ----------------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnCreateTensorDescriptor(out nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetTensor4dDescriptor(nint descriptor, cudnnTensorFormat format,
        cudnnDataType dataType, int n, int c, int h, int w);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDestroyTensorDescriptor(nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnCreateFilterDescriptor(out nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetFilter4dDescriptor(nint descriptor, cudnnDataType dataType,
        cudnnTensorFormat format, int k, int c, int h, int w);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDestroyFilterDescriptor(nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnCreateConvolutionDescriptor(out nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetConvolution2dDescriptor(nint descriptor, int padH, int padW,
        int strideH, int strideW, int dilationH, int dilationW, cudnnConvolutionMode mode, cudnnDataType computeType);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetConvolutionMathType(nint descriptor, cudnnMathType mathType);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDestroyConvolutionDescriptor(nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnCreatePoolingDescriptor(out nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetPooling2dDescriptor(nint descriptor, cudnnPoolingMode mode,
        cudnnNanPropagation nan, int windowH, int windowW, int padH, int padW, int strideH, int strideW);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDestroyPoolingDescriptor(nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnCreateActivationDescriptor(out nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnSetActivationDescriptor(nint descriptor, cudnnActivationMode mode,
        cudnnNanPropagation nan, double coefficient);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDestroyActivationDescriptor(nint descriptor);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnDeriveBNTensorDescriptor(nint derived, nint x, cudnnBatchNormMode mode);

    // ---- convolution ----------------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnGetConvolutionForwardAlgorithm_v7(nint handle, nint x, nint w,
        nint conv, nint y, int requested, out int returned, cudnnAlgoPerf* results);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnGetConvolutionForwardWorkspaceSize(nint handle, nint x, nint w,
        nint conv, nint y, int algo, out nuint bytes);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnConvolutionForward(nint handle, float* alpha, nint xDesc, ulong x,
        nint wDesc, ulong w, nint conv, int algo, ulong workspace, nuint workspaceBytes, float* beta, nint yDesc,
        ulong y);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnGetConvolutionBackwardDataAlgorithm_v7(nint handle, nint w, nint dy,
        nint conv, nint dx, int requested, out int returned, cudnnAlgoPerf* results);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnGetConvolutionBackwardDataWorkspaceSize(nint handle, nint w, nint dy,
        nint conv, nint dx, int algo, out nuint bytes);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnConvolutionBackwardData(nint handle, float* alpha, nint wDesc, ulong w,
        nint dyDesc, ulong dy, nint conv, int algo, ulong workspace, nuint workspaceBytes, float* beta, nint dxDesc,
        ulong dx);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnGetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint x, nint dy,
        nint conv, nint dw, int requested, out int returned, cudnnAlgoPerf* results);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnGetConvolutionBackwardFilterWorkspaceSize(nint handle, nint x, nint dy,
        nint conv, nint dw, int algo, out nuint bytes);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnConvolutionBackwardFilter(nint handle, float* alpha, nint xDesc,
        ulong x, nint dyDesc, ulong dy, nint conv, int algo, ulong workspace, nuint workspaceBytes, float* beta,
        nint dwDesc, ulong dw);

    // ---- batch norm ------------------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnBatchNormalizationForwardTraining(nint handle, cudnnBatchNormMode mode,
        float* alpha, float* beta, nint xDesc, ulong x, nint yDesc, ulong y, nint bnDesc, ulong scale, ulong bias,
        double exponentialAverageFactor, ulong runningMean, ulong runningVariance, double epsilon, ulong saveMean,
        ulong saveInvVariance);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnBatchNormalizationForwardInference(nint handle, cudnnBatchNormMode mode,
        float* alpha, float* beta, nint xDesc, ulong x, nint yDesc, ulong y, nint bnDesc, ulong scale, ulong bias,
        ulong estimatedMean, ulong estimatedVariance, double epsilon);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnBatchNormalizationBackward(nint handle, cudnnBatchNormMode mode,
        float* alphaDataDiff, float* betaDataDiff, float* alphaParamDiff, float* betaParamDiff, nint xDesc, ulong x,
        nint dyDesc, ulong dy, nint dxDesc, ulong dx, nint bnDesc, ulong scale, ulong dScale, ulong dBias,
        double epsilon, ulong savedMean, ulong savedInvVariance);

    // ---- pooling and activation ------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnPoolingForward(nint handle, nint pooling, float* alpha, nint xDesc,
        ulong x, float* beta, nint yDesc, ulong y);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnPoolingBackward(nint handle, nint pooling, float* alpha, nint yDesc,
        ulong y, nint dyDesc, ulong dy, nint xDesc, ulong x, float* beta, nint dxDesc, ulong dx);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnActivationForward(nint handle, nint activation, float* alpha,
        nint xDesc, ulong x, float* beta, nint yDesc, ulong y);

    [LibraryImport(Lib)]
    internal static partial cudnnStatus cudnnActivationBackward(nint handle, nint activation, float* alpha,
        nint yDesc, ulong y, nint dyDesc, ulong dy, nint xDesc, ulong x, float* beta, nint dxDesc, ulong dx);

    internal static void Check(cudnnStatus status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cudnnStatus.CUDNN_STATUS_SUCCESS)
        {
            string text = Marshal.PtrToStringUTF8(cudnnGetErrorString(status)) ?? "unknown status";
            // cudnnGetErrorString returns the status name itself (e.g. "CUDNN_STATUS_BAD_PARAM").
            throw new CudaException("cuDNN", (int)status, text, $"category {(int)status / 1000 * 1000}", call);
        }
    }

    /// <summary>"major.minor.patch" from cudnnGetVersion (9.x: major*10000 + minor*100 + patch; 8.x: *1000).</summary>
    internal static string Version()
    {
        ulong v = cudnnGetVersion();
        return v >= 90000
            ? $"{v / 10000}.{v / 100 % 100}.{v % 100}"
            : $"{v / 1000}.{v / 100 % 10}.{v % 100}";
    }
}
