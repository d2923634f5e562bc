using RelReason.Backends;
using RelReason.Nn;
using RelReason.Tensors;

namespace RelReason.Diagnostics;

/// <summary>A tensor of one shape (usually with the same values) on the reference and the candidate backend.</summary>
public readonly record struct TensorPair(Tensor Reference, Tensor Candidate);

/// <summary>
/// The workbench of one self-test case: makes the same inputs on a reference backend (the CPU) and a candidate
/// (the GPU), runs ops on both, and records each comparison as a <see cref="CheckResult"/>. Owns every tensor it
/// makes and frees them on Dispose.
/// </summary>
public sealed class BackendComparer : IDisposable
{
    private readonly List<Tensor> _owned = [];
    private readonly List<CheckResult> _results = [];

    /// <param name="reference">The backend whose results count as right (the CPU backend).</param>
    /// <param name="candidate">The backend under test.</param>
    public BackendComparer(IBackend reference, IBackend candidate)
    {
        Reference = reference;
        Candidate = candidate;
    }

    public IBackend Reference { get; }

    public IBackend Candidate { get; }

    /// <summary>The comparisons made so far, in order.</summary>
    public IReadOnlyList<CheckResult> Results => _results;

    /// <summary>The same values as a tensor on each backend.</summary>
    public TensorPair Both(float[] values, params int[] dims)
    {
        return new TensorPair(Make(Reference, values, dims), Make(Candidate, values, dims));
    }

    /// <summary>A tensor of the shape on each backend, filled with NaN, so an element an op leaves shows.</summary>
    public TensorPair Poisoned(params int[] dims)
    {
        var values = new float[checked((int)new Shape(dims).Elements)];
        Array.Fill(values, float.NaN);
        return Both(values, dims);
    }

    /// <summary>Uniform values in [-1, 1), the same on both backends.</summary>
    public TensorPair Random(int seed, params int[] dims) =>
        Both(Uniform(seed, checked((int)new Shape(dims).Elements)), dims);

    /// <summary>Compares the candidate's tensor with the reference's and records the result.</summary>
    public CheckResult Compare(TensorPair t, Tolerance tol, string name) =>
        Record(CheckResult.Compare(name, Read(Candidate, t.Candidate), Read(Reference, t.Reference), tol));

    /// <summary>Compares host values the two sides produced and records the result.</summary>
    public CheckResult Compare(float[] candidate, float[] reference, Tolerance tol, string name) =>
        Record(CheckResult.Compare(name, candidate, reference, tol));

    /// <summary>Records a result made elsewhere (a condition, an error).</summary>
    public CheckResult Record(CheckResult result)
    {
        _results.Add(result);
        return result;
    }

    /// <summary>A tensor's values on the host.</summary>
    public static float[] Read(IBackend backend, Tensor t)
    {
        var values = new float[t.Length];
        backend.Download(t, values);
        return values;
    }

    /// <summary>
    /// offset + scale * u with u uniform in [-1, 1), from a fixed generator (<see cref="InitRandom"/>), so a check
    /// sees the same inputs on every machine and .NET version.
    /// </summary>
    public static float[] Uniform(int seed, int count, float scale = 1f, float offset = 0f)
    {
        var rng = new InitRandom((ulong)seed * 0x9E3779B97F4A7C15UL + 1);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
        }
        return values;
    }

    /// <summary>Frees every tensor made so far (results are kept).</summary>
    public void FreeTensors()
    {
        foreach (Tensor t in _owned)
        {
            t.Dispose();
        }
        _owned.Clear();
    }

    public void Dispose() => FreeTensors();

    private Tensor Make(IBackend backend, float[] values, int[] dims)
    {
        Tensor t = backend.Empty(new Shape(dims));
        _owned.Add(t);
        backend.Upload(values, t);
        return t;
    }
}
