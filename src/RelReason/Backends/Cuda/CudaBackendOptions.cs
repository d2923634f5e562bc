namespace RelReason.Backends.Cuda;

/// <summary>Settings of a <see cref="CudaBackend"/> (it uses the first GPU, the one the probe describes).</summary>
public sealed record CudaBackendOptions
{
    /// <summary>
    /// Lets cuBLAS and cuDNN use TF32 tensor cores for float32 products (about 10 significant bits in the
    /// multiplies). Off by default: results then match the CPU backend to float32 rounding.
    /// </summary>
    public bool AllowTf32 { get; init; }

    /// <summary>Receives one-line notes (module JIT times, algorithm choices).</summary>
    public Action<string>? Log { get; init; }
}
