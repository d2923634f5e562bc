using System.Text.Json;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;
using RelReason.Diagnostics;

namespace RelReason.Tests.Diagnostics;

/// <summary>
/// The self-test machinery without a GPU: the comparison and its report line, failure and error handling, and the
/// whole suite run with a second CPU backend (other thread count) as the candidate, which must pass everywhere.
/// </summary>
public class SelfTestSuiteTests
{
    private static readonly Tolerance Tight = new(1e-6, 1e-5, "test");

    [Test]
    public void Compare_WithinTolerance_Passes_AndReportsTheLargestErrors()
    {
        float[] expected = [1f, -2f, 4f];
        float[] actual = [1f, -2.00001f, 4f];

        CheckResult r = CheckResult.Compare("x", actual, expected, Tight);

        Assert.That(r.Passed, Is.True);
        Assert.That(r.Elements, Is.EqualTo(3));
        Assert.That(r.MaxAbsError, Is.EqualTo(1e-5).Within(1e-7));
        Assert.That(r.MaxRelError, Is.EqualTo(5e-6).Within(1e-7));
        Assert.That(r.Line(), Does.StartWith("x ").And.EndWith("PASS"));
    }

    [Test]
    public void Compare_BeyondTolerance_FailsAndNamesTheFirstMismatch()
    {
        float[] expected = [1f, 2f, 3f, 4f];
        float[] actual = [1f, 2.1f, 3f, 4.5f];

        CheckResult r = CheckResult.Compare("y", actual, expected, Tight);

        Assert.That(r.Passed, Is.False);
        Assert.That(r.Failures, Is.EqualTo(2));
        Assert.That(r.MaxAbsError, Is.EqualTo(0.5).Within(1e-6));
        Assert.That(r.Line(), Does.Contain("FAIL").And.Contain("2 of 4 beyond").And.Contain("[1] "));
    }

    [Test]
    public void Compare_NaNOnEitherSide_Fails()
    {
        CheckResult candidateNaN = CheckResult.Compare("n", [float.NaN, 1f], [0f, 1f], GpuTolerances.Exact);
        CheckResult bothNaN = CheckResult.Compare("n", [float.NaN], [float.NaN], new Tolerance(1, 1, "loose"));

        Assert.That(candidateNaN.Passed, Is.False);
        Assert.That(double.IsNaN(candidateNaN.MaxAbsError), Is.True);
        Assert.That(candidateNaN.Line(), Does.Contain("NaN"));
        Assert.That(bothNaN.Passed, Is.False);
    }

    [Test]
    public void Compare_LengthMismatch_IsAFailedResultNotAnException()
    {
        CheckResult r = CheckResult.Compare("z", [1f, 2f], [1f], GpuTolerances.Exact);

        Assert.That(r.Passed, Is.False);
        Assert.That(r.Detail, Does.Contain("2 values against 1 expected"));
    }

    [Test]
    public void ACaseThatThrows_FailsWithTheError_AndKeepsTheResultsBeforeIt()
    {
        using var a = new CpuBackend(1);
        using var b = new CpuBackend(1);
        var testCase = new SelfTestCase("broken", c =>
        {
            c.Compare(c.Random(1, 10), GpuTolerances.Exact, "fine");
            throw new InvalidOperationException("kernel exploded");
        });

        IReadOnlyList<CheckResult> results = SelfTestSuite.Run(testCase, a, b);

        Assert.That(results.Select(r => r.Name), Is.EqualTo(new[] { "broken: fine", "broken: error" }));
        Assert.That(results[0].Passed, Is.True);
        Assert.That(results[1].Passed, Is.False);
        Assert.That(results[1].Line(), Does.Contain("InvalidOperationException: kernel exploded").And.Contain("FAIL"));
    }

    [Test]
    public void ACaseThatComparesNothing_Fails()
    {
        using var a = new CpuBackend(1);

        IReadOnlyList<CheckResult> results = SelfTestSuite.Run(new SelfTestCase("idle", _ => { }), a, a);

        Assert.That(results, Has.Count.EqualTo(1));
        Assert.That(results[0].Passed, Is.False);
    }

    [Test]
    public void ACandidateThatComputesSomethingElse_Fails()
    {
        using var a = new CpuBackend(1);
        using var b = new CpuBackend(1);
        var testCase = new SelfTestCase("fill", c =>
        {
            TensorPair t = c.Poisoned(7);
            c.Reference.Fill(t.Reference, 1f);
            c.Candidate.Fill(t.Candidate, 1.0001f);
            c.Compare(t, GpuTolerances.Elementwise, "ones");
        });

        SelfTestReport report = SelfTestSuite.Run(a, b, [testCase]);

        Assert.That(report.Failed, Is.EqualTo(1));
        Assert.That(report.Summary, Is.EqualTo("0 passed, 1 failed"));
    }

    [Test]
    public void Cases_HaveUniqueNames_AndCoverOpsStepAndTraining()
    {
        var names = SelfTestSuite.Cases.Select(c => c.Name).ToList();

        Assert.That(names, Is.Unique);
        Assert.That(names, Has.Some.StartsWith("conv ").And.Some.StartsWith("batch norm").And.Some.EqualTo("gemm")
            .And.Some.StartsWith("augment views").And.Some.EqualTo("optimizers"));
        Assert.That(names, Has.Some.EqualTo("conv4 step focal").And.Some.EqualTo("conv4 20 steps"));
        Assert.That(() => SelfTestSuite.Find("no such case"), Throws.ArgumentException.With.Message.Contains("gemm"));
    }

    [Test]
    public void WholeSuite_WithAnotherCpuBackendAsCandidate_Passes()
    {
        using var reference = new CpuBackend(2);
        using var candidate = new CpuBackend(1);

        SelfTestReport report = SelfTestSuite.Run(reference, candidate, SelfTestSuite.Cases);

        foreach (CheckResult r in report.Results.Where(r => !r.Passed))
        {
            TestContext.Out.WriteLine(r.Line());
        }
        Assert.That(report.Failed, Is.Zero);
        Assert.That(report.Results.Count, Is.GreaterThan(3 * SelfTestSuite.Cases.Count));
        Assert.That(report.Results.Select(r => r.Name), Has.Some.EqualTo("conv4 20 steps: the loss falls"));
        foreach (SelfTestCase c in SelfTestSuite.Cases)
        {
            Assert.That(report.Results.Any(r => r.Name.StartsWith(c.Name + ": ", StringComparison.Ordinal)), Is.True,
                $"case {c.Name} reported nothing");
        }
    }

    [Test]
    public void RunOnGpu_WithoutAGpu_GivesTheProbesReasonAndNoResults()
    {
        CudaProbeResult probe = CudaProbe.Run();
        if (probe.IsAvailable)
        {
            Assert.Ignore($"a GPU is usable here ({probe.Device})");
        }

        SelfTestReport report = SelfTestSuite.RunOnGpu(1);

        Assert.That(report.Unavailable, Is.EqualTo($"no usable GPU: {probe.Reason}"));
        Assert.That(report.Results, Is.Empty);
    }

    [Test]
    public void Json_WritesNaNErrorsAsStrings()
    {
        var report = new SelfTestReport("cand", "ref",
            [CheckResult.Compare("a", [1f], [1f], GpuTolerances.Exact), CheckResult.Condition("b", false, "why")],
            null);

        string json = JsonSerializer.Serialize(report, DiagnosticsJson.Default.SelfTestReport);

        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("passed").GetInt32(), Is.EqualTo(1));
        Assert.That(doc.RootElement.GetProperty("failed").GetInt32(), Is.EqualTo(1));
        JsonElement b = doc.RootElement.GetProperty("results")[1];
        Assert.That(b.GetProperty("max_abs_error").GetString(), Is.EqualTo("NaN"));
        Assert.That(b.GetProperty("detail").GetString(), Is.EqualTo("why"));
    }
}
