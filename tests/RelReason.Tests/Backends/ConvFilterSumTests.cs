using RelReason.Backends;
using RelReason.Backends.Cpu;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Backends;

/// <summary>
/// The filter gradient sums per-worker partials in vectors and a scalar tail, split over workers by element; with
/// beta it adds beta * dw to that sum. So dw(0) must match the gradient summed in double here (every partial
/// counted once: to 1e-5 of the sum of |terms|, far below one missing image's share), and dw(beta) must be, bit for
/// bit, dw(0) + beta * dw_old computed in scalar float32, on filter lengths that are and are not whole vectors,
/// through both convolution paths.
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
        var (exact, magnitude) = FilterGradient(ToArray(cpu, x), ToArray(cpu, dy), g);
        for (int i = 0; i < sum.Length; i++)
        {
            Assert.That(Math.Abs(sum[i] - exact[i]), Is.LessThanOrEqualTo(1e-5 * magnitude[i]),
                $"dw[{i}]: {sum[i]:R}, summed in double {exact[i]:R}");
        }
        for (int i = 0; i < sum.Length; i++)
        {
            float expected = sum[i] + beta * old[i];
            Assert.That(BitConverter.SingleToInt32Bits(accumulated[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(
                expected)), $"dw[{i}]: {accumulated[i]:R}, expected {expected:R}");
        }
    }

    /// <summary>dw[co, ci, ky, kx] = sum over images and output pixels of dy * x at the tap, in double, with the
    /// sum of |terms| beside it.</summary>
    private static (double[] Sum, double[] Magnitude) FilterGradient(float[] x, float[] dy, ConvGeometry g)
    {
        int k = g.KernelH, h = g.Height, w = g.Width, oh = g.OutHeight, ow = g.OutWidth;
        var sum = new double[g.OutChannels * g.InChannels * k * k];
        var magnitude = new double[sum.Length];
        for (int n = 0; n < g.N; n++)
        {
            for (int co = 0; co < g.OutChannels; co++)
            {
                for (int ci = 0; ci < g.InChannels; ci++)
                {
                    for (int t = 0; t < k * k; t++)
                    {
                        int at = (co * g.InChannels + ci) * k * k + t;
                        for (int oy = 0; oy < oh; oy++)
                        {
                            int iy = oy * g.Stride - g.Pad + t / k;
                            for (int ox = 0; ox < ow && (uint)iy < (uint)h; ox++)
                            {
                                int ix = ox * g.Stride - g.Pad + t % k;
                                if ((uint)ix < (uint)w)
                                {
                                    double term = (double)dy[((n * g.OutChannels + co) * oh + oy) * ow + ox] *
                                        x[((n * g.InChannels + ci) * h + iy) * w + ix];
                                    sum[at] += term;
                                    magnitude[at] += Math.Abs(term);
                                }
                            }
                        }
                    }
                }
            }
        }
        return (sum, magnitude);
    }
}
