using RelReason.Backends;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Training.Checkpoints;

/// <summary>
/// Copies named tensors from an open checkpoint into live tensors, checking presence, element type and shape.
/// One host buffer, grown to the largest tensor, is reused for every upload.
/// </summary>
internal sealed class StateReader(SafetensorsFile file)
{
    private float[] _buffer = [];

    /// <summary>Every state tensor and counter of <paramref name="module"/>, names prefixed.</summary>
    public void LoadModule(Module module, string prefix)
    {
        foreach (var (name, tensor) in module.NamedState(prefix))
        {
            LoadTensor(name, tensor, module.Backend);
        }
        foreach (var (name, _, set) in module.NamedCounters(prefix))
        {
            var entry = Find(name);
            if (entry.DType != SafetensorsDType.I64 || entry.ElementCount != 1)
            {
                throw new CheckpointException(file.Path,
                    $"tensor '{name}' is {entry.DType} {entry.ShapeText}, expected a 0-d I64 counter");
            }
            set(file.ReadI64(name)[0]);
        }
    }

    /// <summary>Reads float32 tensor <paramref name="name"/> and uploads it into <paramref name="tensor"/>.</summary>
    public void LoadTensor(string name, Tensor tensor, IBackend backend)
    {
        var entry = Find(name);
        if (entry.DType != SafetensorsDType.F32 || !entry.Shape.AsSpan().SequenceEqual(tensor.Shape.Dims))
        {
            throw new CheckpointException(file.Path,
                $"tensor '{name}' is {entry.DType} {entry.ShapeText} in the checkpoint, the run's is F32 " +
                $"{tensor.Shape}");
        }
        if (_buffer.Length < tensor.Length)
        {
            _buffer = new float[tensor.Length];
        }
        var host = _buffer.AsSpan(0, (int)tensor.Length);
        file.ReadF32(name, host);
        backend.Upload(host, tensor);
    }

    private SafetensorsEntry Find(string name) =>
        file.TryGetEntry(name, out var entry)
            ? entry
            : throw new CheckpointException(file.Path, $"tensor '{name}' is missing from the checkpoint");
}
