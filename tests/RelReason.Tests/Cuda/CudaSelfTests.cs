using RelReason.Diagnostics;

namespace RelReason.Tests.Cuda;

/// <summary>
/// Every case of <see cref="SelfTestSuite"/> (each CUDA op, one Conv-4 + head step, 20 training steps) as its own
/// test: the same comparisons and tolerances `relreason selftest` runs on a GPU host (GPU only).
/// </summary>
public class CudaSelfTests : GpuTestBase
{
    private static IEnumerable<string> CaseNames() => SelfTestSuite.Cases.Select(c => c.Name);

    [TestCaseSource(nameof(CaseNames))]
    public void CudaMatchesCpu(string caseName)
    {
        IReadOnlyList<CheckResult> results = SelfTestSuite.Run(SelfTestSuite.Find(caseName), Cpu, Gpu);

        foreach (CheckResult r in results)
        {
            TestContext.Out.WriteLine(r.Line());
        }
        Assert.That(results, Is.Not.Empty);
        Assert.That(results.Where(r => !r.Passed).Select(r => r.Line()), Is.Empty);
    }
}
