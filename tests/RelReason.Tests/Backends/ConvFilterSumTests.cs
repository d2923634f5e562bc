using RelReason.Backends;
using RelReason.Backends.Cpu;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Backends;

/// <summary>
/// The filter gradient sums per-worker partials in vectors and a scalar tail, split over workers by element; with
/// beta it adds beta * dw to that sum. So dw(beta) must be, bit for bit, dw(0) + beta * dw_old computed in scalar
/// float32, on filter lengths that are and are not whole vectors, through both convolution paths.
/// </summary>
public class ConvFilterSumTests
{
    [TestCase(5, 3, 3, 1, true)]
    [TestCase(5, 3, 3, 1, false)]
    [TestCase(16, 16, 3, 1, true)]
    [TestCase(16, 16, 3, 1, false)]
    [TestCase(7, 9, 1, 0, false)]
    [TestCase(64, 48, 3, 1, true)]
    public void BetaAddsToTheSumWithTheScalarBits(int cin, int cout, int kernel, int pad, bool direct)
    {
        const int n = 6, h = 8, w = 8;
        const float beta = 0.5f;
        var g = new ConvGeometry(n, cin, h, w, cout, kernel, kernel, 1, pad);
        using var cpu = new CpuBackend(2) { DirectConvEnabled = direct };
        using var x = From(cpu, Random(1, n * cin * h * w), n, cin, h, w);
        using var dy = From(cpu, Random(2, n * cout * h * w), n, cout, h, w);
        var old = Random(3, cout * cin * kernel * kernel);
        using var dw0 = cpu.Empty(new(cout, cin, kernel, kernel));
        using var dwBeta = From(cpu, old, cout, cin, kernel, kernel);

        cpu.ConvBackwardFilter(x, dy, dw0, g, 0f);
        cpu.ConvBackwardFilter(x, dy, dwBeta, g, beta);

        var sum = ToArray(cpu, dw0);
        var accumulated = ToArray(cpu, dwBeta);
        for (int i = 0; i < sum.Length; i++)
        {
            float expected = sum[i] + beta * old[i];
            Assert.That(BitConverter.SingleToInt32Bits(accumulated[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(
                expected)), $"dw[{i}]: {accumulated[i]:R}, expected {expected:R}");
        }
    }
}
