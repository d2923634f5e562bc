using RelReason.Backends;
using RelReason.Backends.Cpu;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Backends;

/// <summary>
/// The CPU max pool scans inner windows several outputs at a time in vector registers and border windows one by
/// one with bounds checks; both must follow one rule, written out plainly here: the first maximum in row-major
/// order wins (so ties send the gradient to the first), padding never wins, and the first NaN wins. Values are
/// drawn from a few levels so that ties are common, with some NaNs.
/// </summary>
public class MaxPoolTests
{
    // Narrow planes take only the scalar scan; wide ones (8 or more inner outputs a row) the vector one too, with
    // a last vector group that overlaps the one before unless the inner width is a multiple of the vector width.
    [TestCase(3, 2, 1, 9, 9)]
    [TestCase(3, 2, 1, 10, 7)]
    [TestCase(3, 2, 1, 9, 48)]
    [TestCase(3, 2, 1, 10, 41)]
    [TestCase(3, 1, 1, 6, 6)]
    [TestCase(3, 1, 1, 6, 23)]
    [TestCase(3, 2, 0, 7, 8)]
    [TestCase(3, 2, 0, 7, 36)]
    [TestCase(2, 2, 0, 8, 8)]
    [TestCase(2, 2, 0, 8, 34)]
    [TestCase(3, 3, 1, 5, 52)]
    public void ForwardAndBackwardFollowTheFirstMaximumRule(int kernel, int stride, int pad, int h, int w)
    {
        var p = new PoolGeometry(kernel, stride, pad);
        int n = 2, c = 3, oh = p.OutSize(h), ow = p.OutSize(w), planes = n * c;
        var rng = new Random(kernel * 100 + h * 10 + w);
        var x = new float[planes * h * w];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.Next(50) == 0 ? float.NaN : rng.Next(4) - 1.5f;
        }
        float[] dy = Random(7, planes * oh * ow), dx0 = Random(8, x.Length);
        using var cpu = new CpuBackend(2);
        using var tx = From(cpu, x, n, c, h, w);
        using var ty = cpu.Empty(new(n, c, oh, ow));
        using var tdy = From(cpu, dy, n, c, oh, ow);
        using var tdx = From(cpu, dx0, n, c, h, w);
        cpu.MaxPoolForward(tx, ty, p);
        cpu.MaxPoolBackward(tx, ty, tdy, tdx, p, 0.5f);

        var y = ToArray(cpu, ty);
        var dx = ToArray(cpu, tdx);
        var expectedDx = dx0.Select(v => 0.5f * v).ToArray();
        for (int q = 0; q < planes; q++)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    int at = FirstMaximum(x, q * h * w, h, w, oy * stride - pad, ox * stride - pad, kernel);
                    int o = (q * oh + oy) * ow + ox;
                    Assert.That(y[o], Is.EqualTo(x[at]), $"y at plane {q}, ({oy}, {ox})");
                    expectedDx[at] += dy[o];
                }
            }
        }
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.That(dx[i], Is.EqualTo(expectedDx[i]), $"dx[{i}]");
        }
    }

    private static int FirstMaximum(float[] x, int plane, int h, int w, int iy0, int ix0, int kernel)
    {
        int best = -1;
        for (int iy = Math.Max(0, iy0); iy < Math.Min(h, iy0 + kernel); iy++)
        {
            for (int ix = Math.Max(0, ix0); ix < Math.Min(w, ix0 + kernel); ix++)
            {
                int i = plane + iy * w + ix;
                if (best < 0 || (float.IsNaN(x[i]) && !float.IsNaN(x[best])) || x[i] > x[best])
                {
                    best = i;
                }
            }
        }
        return best;
    }
}
