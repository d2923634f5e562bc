namespace RelReason.Tensors;

/// <summary>
/// A block of float32 memory owned by one backend. Tensors hold storage through this interface so that
/// nothing in Tensors names a backend; each backend downcasts to its own storage type.
/// </summary>
public interface IStorage : IDisposable
{
    /// <summary>Number of float32 elements.</summary>
    long Length { get; }

    /// <summary>Where the memory lives, e.g. "cpu" or "cuda:0".</summary>
    string Device { get; }
}
