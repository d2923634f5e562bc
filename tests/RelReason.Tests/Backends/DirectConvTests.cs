using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Tensors;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Backends;

/// <summary>
/// The direct 3x3 / stride 1 / pad 1 convolution against the im2col + GEMM path of the same backend, for forward,
/// backward data and backward filter. Both compute the same sums of float32 products in different orders, so an
/// element may differ by a few ulps of each partial sum: the bound is relative to S, the sum of |terms| (the same
/// convolution run on |x|, |w|, |dy|, plus |beta * old| when accumulating), which bounds every partial sum. With K
/// terms, reordering moves a result by at most about K * 2^-24 * S in the worst case and by sqrt(K) * 2^-24 * S
/// typically; K is at most 576 (data) and 8 * 1,024 * 9 = 73,728 products folded into one filter value, so
/// 1e-5 * S (data) and 3e-5 * S (filter) are several times the typical error and far below any indexing error.
/// </summary>
public class DirectConvTests
{
    private static readonly int[] Channels = [1, 3, 8, 16, 17, 32, 64];

    private static readonly (int H, int W)[] Maps =
        [(1, 1), (2, 2), (4, 4), (6, 4), (12, 4), (5, 7), (8, 8), (16, 16), (32, 32)];

    private static readonly int[] Batches = [1, 3, 8];

    /// <summary>Every (Cin, Cout, map) triple in every register mode (a mode the CPU lacks runs as the best it
    /// has); N and beta rotate with the case number so each value meets every channel count and map size.</summary>
    private static IEnumerable<TestCaseData> Shapes()
    {
        int index = 0;
        foreach (int cin in Channels)
        {
            foreach (int cout in Channels)
            {
                foreach (var (h, w) in Maps)
                {
                    int n = Batches[index % Batches.Length];
                    float beta = index / Batches.Length % 2;
                    index++;
                    // The largest maps with the widest layers would cost seconds each; N = 1 keeps them.
                    if (h * w >= 1024 && cin * cout >= 1024)
                    {
                        n = 1;
                    }
                    foreach (var mode in Enum.GetValues<DirectConvMode>())
                    {
                        yield return new TestCaseData(n, cin, cout, h, w, beta, (int)mode);
                    }
                }
            }
        }
    }

    [OneTimeSetUp]
    public void RequireHardware()
    {
        if (!DirectConv3x3.HardwareSupported)
        {
            Assert.Ignore("this CPU lacks AVX2 + FMA, so the direct convolution never runs here");
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void DirectMatchesIm2Col(int n, int cin, int cout, int h, int w, float beta, int mode)
    {
        var g = new ConvGeometry(n, cin, h, w, cout, 3, 3, 1, 1);
        var x = Random(1, n * cin * h * w);
        var wt = Random(2, cout * cin * 9, 0.5f);
        var dy = Random(3, n * cout * h * w);
        var dxOld = Random(4, x.Length);
        var dwOld = Random(5, wt.Length);
        using var cpu = new CpuBackend(2) { DirectConvMode = (DirectConvMode)mode };

        var direct = Run(cpu, true, g, x, wt, dy, dxOld, dwOld, beta);
        var im2col = Run(cpu, false, g, x, wt, dy, dxOld, dwOld, beta);
        var scale = Run(cpu, false, g, Abs(x), Abs(wt), Abs(dy), Abs(dxOld), Abs(dwOld), beta);

        Within(direct.Y, im2col.Y, scale.Y, 1e-5, "forward");
        Within(direct.Dx, im2col.Dx, scale.Dx, 1e-5, "backward data");
        Within(direct.Dw, im2col.Dw, scale.Dw, 3e-5, "backward filter");
    }

    [Test]
    public void DirectPathIsRepeatableBitForBit()
    {
        var g = new ConvGeometry(8, 16, 16, 16, 32, 3, 3, 1, 1);
        var x = Random(11, 8 * 16 * 256);
        var wt = Random(12, 32 * 16 * 9, 0.5f);
        var dy = Random(13, 8 * 32 * 256);
        var dxOld = Random(14, x.Length);
        var dwOld = Random(15, wt.Length);
        using var first = new CpuBackend(2);
        using var second = new CpuBackend(2);
        var a = Run(first, true, g, x, wt, dy, dxOld, dwOld, 1f);
        var b = Run(second, true, g, x, wt, dy, dxOld, dwOld, 1f);
        var c = Run(first, true, g, x, wt, dy, dxOld, dwOld, 1f);
        Assert.That(b.Y, Is.EqualTo(a.Y), "forward, second backend");
        Assert.That(b.Dx, Is.EqualTo(a.Dx), "backward data, second backend");
        Assert.That(b.Dw, Is.EqualTo(a.Dw), "backward filter, second backend");
        Assert.That(c.Y, Is.EqualTo(a.Y), "forward, same backend again");
        Assert.That(c.Dx, Is.EqualTo(a.Dx), "backward data, same backend again");
        Assert.That(c.Dw, Is.EqualTo(a.Dw), "backward filter, same backend again");
    }

    [Test]
    public void ForwardAndDataDoNotDependOnTheThreadCount()
    {
        // Each image is computed whole by one worker, so only the filter gradient (a sum over images) may change
        // with the thread count.
        var g = new ConvGeometry(5, 8, 8, 8, 16, 3, 3, 1, 1);
        var x = Random(21, 5 * 8 * 64);
        var wt = Random(22, 16 * 8 * 9);
        var dy = Random(23, 5 * 16 * 64);
        using var one = new CpuBackend(1);
        using var two = new CpuBackend(2);
        var a = Run(one, true, g, x, wt, dy, new float[x.Length], new float[wt.Length], 0f);
        var b = Run(two, true, g, x, wt, dy, new float[x.Length], new float[wt.Length], 0f);
        Assert.That(b.Y, Is.EqualTo(a.Y));
        Assert.That(b.Dx, Is.EqualTo(a.Dx));
    }

    [TestCase(4, 4)]
    [TestCase(2, 2)]
    [TestCase(7, 7)]
    public void NarrowMapsStayOnIm2Col(int h, int w)
    {
        // Maps narrower than a vector run faster through im2col, so the default backend must give im2col's bits.
        var g = new ConvGeometry(3, 16, h, w, 16, 3, 3, 1, 1);
        var x = Random(31, 3 * 16 * h * w);
        var wt = Random(32, 16 * 16 * 9);
        var dy = Random(33, 3 * 16 * h * w);
        using var cpu = new CpuBackend(2);
        var routed = Run(cpu, true, g, x, wt, dy, new float[x.Length], new float[wt.Length], 0f, everywhere: false);
        var im2col = Run(cpu, false, g, x, wt, dy, new float[x.Length], new float[wt.Length], 0f);
        var direct = Run(cpu, true, g, x, wt, dy, new float[x.Length], new float[wt.Length], 0f);
        Assert.That(routed.Y, Is.EqualTo(im2col.Y));
        Assert.That(routed.Dx, Is.EqualTo(im2col.Dx));
        Assert.That(routed.Dw, Is.EqualTo(im2col.Dw));
        Assert.That(direct.Y, Is.Not.EqualTo(im2col.Y), "the direct path sums in another order, so some bits differ");
    }

    private readonly record struct Results(float[] Y, float[] Dx, float[] Dw);

    private static Results Run(CpuBackend cpu, bool direct, ConvGeometry g, float[] x, float[] w, float[] dy,
        float[] dxOld, float[] dwOld, float beta, bool everywhere = true)
    {
        cpu.DirectConvEnabled = direct;
        cpu.DirectConvEverywhere = direct && everywhere;
        using var tx = From(cpu, x, g.N, g.InChannels, g.Height, g.Width);
        using var tw = From(cpu, w, g.OutChannels, g.InChannels, 3, 3);
        using var tdy = From(cpu, dy, g.N, g.OutChannels, g.Height, g.Width);
        using var ty = cpu.Empty(new Shape(g.N, g.OutChannels, g.Height, g.Width));
        using var tdx = From(cpu, dxOld, g.N, g.InChannels, g.Height, g.Width);
        using var tdw = From(cpu, dwOld, g.OutChannels, g.InChannels, 3, 3);
        cpu.Fill(ty, float.NaN);
        cpu.ConvForward(tx, tw, ty, g);
        cpu.ConvBackwardData(tdy, tw, tdx, g, beta);
        cpu.ConvBackwardFilter(tx, tdy, tdw, g, beta);
        return new Results(ToArray(cpu, ty), ToArray(cpu, tdx), ToArray(cpu, tdw));
    }

    private static float[] Abs(float[] v) => v.Select(Math.Abs).ToArray();

    private static void Within(float[] actual, float[] expected, float[] scale, double rel, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < actual.Length; i++)
        {
            double bound = rel * scale[i] + 1e-30;
            if (!(Math.Abs(actual[i] - expected[i]) <= bound))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]}, im2col gives {expected[i]}, bound {bound:g3}");
            }
        }
    }
}
