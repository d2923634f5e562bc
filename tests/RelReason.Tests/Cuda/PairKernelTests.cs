using RelReason.Backends;
using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Tests.Cuda;

public class PairKernelTests : HostKernelTestBase
{
    /// <summary>The pair index in host buffers, laid out as the CUDA backend uploads it.</summary>
    private DevicePairIndex Upload(PairIndex pairs)
    {
        int rows = pairs.K * pairs.M;
        (int[] lo, int[] lp) = PairKernels.Invert(pairs.Left, rows);
        (int[] ro, int[] rp) = PairKernels.Invert(pairs.Right, rows);
        return new DevicePairIndex(rows, pairs.Count, IntBuffer(pairs.Left).Ptr, IntBuffer(pairs.Right).Ptr,
            IntBuffer(lo).Ptr, IntBuffer(lp).Ptr, IntBuffer(ro).Ptr, IntBuffer(rp).Ptr);
    }

    [TestCase(3, 5, 7)]
    [TestCase(4, 9, 33)]
    public void GatherAdd_MatchesCpu(int k, int m, int hidden)
    {
        PairIndex pairs = PairIndex.Build(k, m);
        int rows = k * m;
        float[] u = Random(rows * hidden * 2, 20), bias = Random(hidden, 21);
        var cpuZ = CpuTensor(new float[pairs.Count * hidden], pairs.Count, hidden);
        Cpu.PairGatherAdd(CpuTensor(u, rows, hidden, 2), CpuTensor(bias, hidden), pairs, cpuZ);
        var z = Buffer(null, pairs.Count * hidden);

        new PairKernels(Launcher).GatherAdd(Buffer(u).Ptr, Buffer(bias).Ptr, Upload(pairs), hidden, z.Ptr);

        KernelAssert.Close(z.Span, Read(cpuZ), KernelTolerance.Exact, "pair gather-add");
        z.AssertGuardsIntact("z");
    }

    [TestCase(3, 5, 7, 0f)]
    [TestCase(4, 9, 33, 1f)]
    [TestCase(5, 2, 3, 0.5f)]
    public void ScatterAdd_MatchesCpu(int k, int m, int hidden, float beta)
    {
        PairIndex pairs = PairIndex.Build(k, m);
        int rows = k * m;
        float[] dz = Random(pairs.Count * hidden, 22), du0 = Random(rows * hidden * 2, 23);
        var cpuDu = CpuTensor(du0, rows, hidden, 2);
        Cpu.PairScatterAdd(CpuTensor(dz, pairs.Count, hidden), pairs, cpuDu, beta);
        var du = Buffer(beta == 0 ? null : du0, du0.Length);

        new PairKernels(Launcher).ScatterAdd(Buffer(dz).Ptr, Upload(pairs), hidden, du.Ptr, beta);

        // Rows of the last block are never a left, rows of the first never a right: their sums are 0, not NaN.
        KernelAssert.Close(du.Span, Read(cpuDu), KernelTolerance.Exact, $"pair scatter-add beta {beta}");
        du.AssertGuardsIntact("du");
    }

    private static IEnumerable<Aggregation> Aggregations() => Enum.GetValues<Aggregation>();

    [TestCaseSource(nameof(Aggregations))]
    public void Combine_MatchesCpu(Aggregation agg)
    {
        const int k = 4, m = 7, dim = 13;
        PairIndex pairs = PairIndex.Build(k, m);
        float[] f = Ties(Random(k * m * dim, 24));
        int width = agg == Aggregation.Cat ? 2 * dim : dim;
        var cpuOut = CpuTensor(new float[pairs.Count * width], pairs.Count, width);
        Cpu.PairCombine(CpuTensor(f, k * m, dim), pairs, agg, cpuOut);
        var output = Buffer(null, pairs.Count * width);

        new PairKernels(Launcher).Combine(Buffer(f).Ptr, Upload(pairs), dim, agg, output.Ptr);

        KernelAssert.Close(output.Span, Read(cpuOut), KernelTolerance.Exact, $"pair combine {agg}");
        output.AssertGuardsIntact("output");
    }

    [TestCaseSource(nameof(Aggregations))]
    public void CombineBackward_MatchesCpu(Aggregation agg)
    {
        const int k = 4, m = 7, dim = 13;
        PairIndex pairs = PairIndex.Build(k, m);
        float[] f = Ties(Random(k * m * dim, 25));
        int width = agg == Aggregation.Cat ? 2 * dim : dim;
        float[] dOut = Random(pairs.Count * width, 26);
        foreach (float beta in new[] { 0f, 0.5f })
        {
            float[] df0 = Random(f.Length, 27);
            var cpuDf = CpuTensor(df0, k * m, dim);
            Cpu.PairCombineBackward(CpuTensor(f, k * m, dim), CpuTensor(dOut, pairs.Count, width), pairs, agg, cpuDf,
                beta);
            var df = Buffer(beta == 0 ? null : df0, f.Length);

            new PairKernels(Launcher).CombineBackward(Buffer(f).Ptr, Buffer(dOut).Ptr, Upload(pairs), dim, agg,
                df.Ptr, beta);

            KernelAssert.Close(df.Span, Read(cpuDf), KernelTolerance.Exact,
                $"pair combine backward {agg} beta {beta}");
            df.AssertGuardsIntact("df");
        }
    }

    [Test]
    public void Invert_ListsThePairsOfEachRowInOrder()
    {
        int[] rowOfPair = [2, 0, 2, 1, 0];

        (int[] offsets, int[] ids) = PairKernels.Invert(rowOfPair, 4);

        Assert.That(offsets, Is.EqualTo(new[] { 0, 2, 3, 5, 5 }));
        Assert.That(ids, Is.EqualTo(new[] { 1, 4, 3, 0, 2 }));
        Assert.Throws<ArgumentException>(() => PairKernels.Invert([0, 4], 4));
    }

    /// <summary>Rounds to quarters so that many left/right pairs tie, exercising the max rule on ties.</summary>
    private static float[] Ties(float[] values) => values.Select(v => MathF.Round(v * 4) / 4).ToArray();
}
