using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>Moving a module's named state (parameters, buffers, counters) in and out as host arrays.</summary>
public static class StateDict
{
    /// <summary>
    /// Copies every state entry of <paramref name="module"/> from <paramref name="lookup"/> (name with
    /// <paramref name="prefix"/> -> shape and values). Missing names or shape mismatches throw, naming the entry.
    /// Counters (num_batches_tracked) are read as a one-element array when present and left alone otherwise.
    /// </summary>
    public static void Load(Module module, string prefix, Func<string, (int[] Shape, float[] Values)?> lookup)
    {
        foreach (var (name, tensor) in module.NamedState(prefix))
        {
            var entry = lookup(name) ?? throw new KeyNotFoundException($"state entry '{name}' is missing");
            var shape = new Shape(entry.Shape);
            if (shape.Elements != tensor.Length || (shape.Rank != 0 && shape != tensor.Shape))
            {
                throw new ArgumentException(
                    $"state entry '{name}' has shape {shape}, the {module.GetType().Name} expects {tensor.Shape}");
            }
            module.Backend.Upload(entry.Values, tensor);
        }
        foreach (var (name, _, set) in module.NamedCounters(prefix))
        {
            if (lookup(name) is { } entry && entry.Values.Length == 1)
            {
                set((long)entry.Values[0]);
            }
        }
    }

    /// <summary>Every state tensor of the module as host values, in state-dict order.</summary>
    public static IEnumerable<(string Name, int[] Shape, float[] Values)> Read(Module module, string prefix = "")
    {
        foreach (var (name, tensor) in module.NamedState(prefix))
        {
            var values = new float[tensor.Length];
            module.Backend.Download(tensor, values);
            yield return (name, tensor.Shape.Dims.ToArray(), values);
        }
    }
}
