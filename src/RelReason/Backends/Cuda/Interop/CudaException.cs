namespace RelReason.Backends.Cuda.Interop;

/// <summary>
/// A failed call into the CUDA driver, cuBLAS, cuDNN or the host kernel library: the library, its status code and
/// name (e.g. CUDA_ERROR_OUT_OF_MEMORY), the library's description, and the C# call that failed.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception; the message joins all parts.</summary>
    public CudaException(string library, int code, string name, string description, string call)
        : base($"{library} call failed: {name} ({code}): {description} -- in {call}")
    {
        Library = library;
        Code = code;
        StatusName = name;
        Call = call;
    }

    /// <summary>"CUDA driver", "cuBLAS", "cuDNN" or "host kernels".</summary>
    public string Library { get; }

    /// <summary>The raw status code the library returned.</summary>
    public int Code { get; }

    /// <summary>The library's own name for the code.</summary>
    public string StatusName { get; }

    /// <summary>The source text of the failing call.</summary>
    public string Call { get; }
}
