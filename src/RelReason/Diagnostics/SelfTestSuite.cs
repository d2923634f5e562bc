using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;

namespace RelReason.Diagnostics;

/// <summary>One self-test case: a group of comparisons made on a <see cref="BackendComparer"/>.</summary>
/// <param name="Name">Short and unique, e.g. "gemm" or "conv4 20 steps"; it prefixes each comparison's name.</param>
/// <param name="Body">Runs the ops on both backends and records the comparisons.</param>
public sealed record SelfTestCase(string Name, Action<BackendComparer> Body);

/// <summary>What a self-test run found.</summary>
/// <param name="Candidate">The backend under test (its description), or null when none could be opened.</param>
/// <param name="Reference">The reference backend's description.</param>
/// <param name="Results">One result per comparison, in order.</param>
/// <param name="Unavailable">Why nothing was run (no usable GPU), or null.</param>
public sealed record SelfTestReport(string? Candidate, string? Reference, IReadOnlyList<CheckResult> Results,
    string? Unavailable)
{
    public int Passed => Results.Count(r => r.Passed);

    public int Failed => Results.Count(r => !r.Passed);

    /// <summary>"N passed, N failed".</summary>
    public string Summary => $"{Passed} passed, {Failed} failed";
}

/// <summary>
/// The GPU checks, as library code so that the NUnit tests (Category "Gpu") and `relreason selftest` (on a GPU
/// host without the .NET SDK) run the same comparisons with the same tolerances (<see cref="GpuTolerances"/>):
/// every op of the backend contract, one Conv-4 + relation-head step, and 20 training steps, each on the CUDA
/// backend against the CPU backend.
/// </summary>
public static class SelfTestSuite
{
    /// <summary>Every case, ops first, then the training checks.</summary>
    public static IReadOnlyList<SelfTestCase> Cases { get; } = [.. SelfTestOps.Cases(), .. SelfTestTraining.Cases()];

    /// <summary>The case of that name.</summary>
    public static SelfTestCase Find(string name) =>
        Cases.FirstOrDefault(c => c.Name == name) ??
        throw new ArgumentException($"no self-test case '{name}'; the cases are: " +
            string.Join(", ", Cases.Select(c => c.Name)));

    /// <summary>
    /// Runs one case, freeing its tensors after. Each result is named "case: comparison". An exception ends the
    /// case with a failed result naming it (the results before it are kept), and a case that compared nothing
    /// fails too, so nothing passes by not running.
    /// </summary>
    public static IReadOnlyList<CheckResult> Run(SelfTestCase testCase, IBackend reference, IBackend candidate)
    {
        using var comparer = new BackendComparer(reference, candidate);
        try
        {
            testCase.Body(comparer);
        }
        catch (Exception e)
        {
            comparer.Record(CheckResult.Error("error", GpuTolerances.Exact, $"{e.GetType().Name}: {e.Message}"));
        }
        if (comparer.Results.Count == 0)
        {
            comparer.Record(CheckResult.Error("nothing compared", GpuTolerances.Exact, "the case made no comparison"));
        }
        return comparer.Results.Select(r => r with { Name = $"{testCase.Name}: {r.Name}" }).ToList();
    }

    /// <summary>Runs <paramref name="cases"/> in order, reporting each result as it is made.</summary>
    public static SelfTestReport Run(IBackend reference, IBackend candidate, IEnumerable<SelfTestCase> cases,
        Action<CheckResult>? progress = null)
    {
        var results = new List<CheckResult>();
        foreach (SelfTestCase testCase in cases)
        {
            foreach (CheckResult result in Run(testCase, reference, candidate))
            {
                progress?.Invoke(result);
                results.Add(result);
            }
        }
        return new SelfTestReport(candidate.Description, reference.Description, results, null);
    }

    /// <summary>
    /// The CUDA backend against the CPU backend (<paramref name="threads"/> workers), or, when the probe finds no
    /// usable GPU, a report whose <see cref="SelfTestReport.Unavailable"/> gives the reason.
    /// </summary>
    /// <param name="threads">CPU backend workers.</param>
    /// <param name="cases">The cases to run (all of <see cref="Cases"/> when null).</param>
    /// <param name="progress">Receives each result as it is made.</param>
    /// <param name="log">Receives the CUDA backend's notes (module load times).</param>
    public static SelfTestReport RunOnGpu(int threads, IEnumerable<SelfTestCase>? cases = null,
        Action<CheckResult>? progress = null, Action<string>? log = null)
    {
        CudaProbeResult probe = CudaProbe.Run();
        if (!probe.IsAvailable)
        {
            return new SelfTestReport(null, null, [], $"no usable GPU: {probe.Reason}");
        }
        using var cpu = new CpuBackend(threads);
        using var gpu = new CudaBackend(new CudaBackendOptions { Log = log });
        return Run(cpu, gpu, cases ?? Cases, progress);
    }
}
