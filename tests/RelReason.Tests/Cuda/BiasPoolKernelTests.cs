using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Tests.Cuda;

public class BiasPoolKernelTests : HostKernelTestBase
{
    [Test]
    public void BiasAdd_MatchesCpu()
    {
        const int rows = 37, cols = 19;
        float[] y0 = Random(rows * cols, 10), bias = Random(cols, 11);
        var cpuY = CpuTensor(y0, rows, cols);
        Cpu.AddBias(cpuY, CpuTensor(bias, cols));
        var y = Buffer(y0);

        new BiasKernels(Launcher).Add(y.Ptr, rows, cols, Buffer(bias).Ptr);

        KernelAssert.Close(y.Span, Read(cpuY), KernelTolerance.Exact, "bias add");
        y.AssertGuardsIntact("y");
    }

    [TestCase(1000, 13, 0f)]
    [TestCase(1000, 13, 1f)]
    [TestCase(5, 300, 0f)]
    [TestCase(4099, 1, 0.5f)]
    public void BiasBackward_MatchesCpu(int rows, int cols, float beta)
    {
        float[] dy = Random(rows * cols, 12), db0 = Random(cols, 13);
        var cpuDb = CpuTensor(db0, cols);
        Cpu.BiasBackward(CpuTensor(dy, rows, cols), cpuDb, beta);
        var db = Buffer(beta == 0 ? null : db0, cols);
        var scratch = Buffer(null, (int)BiasKernels.ScratchFloats(rows, cols));

        new BiasKernels(Launcher).Backward(Buffer(dy).Ptr, rows, cols, db.Ptr, beta, scratch.Ptr);

        KernelAssert.Close(db.Span, Read(cpuDb), KernelTolerance.Sums, $"bias backward [{rows}, {cols}] beta {beta}");
        db.AssertGuardsIntact("dbias");
        scratch.AssertGuardsIntact("scratch");
    }

    [TestCase(3, 5, 7, 7)]
    [TestCase(4, 70, 3, 3)]
    public void GlobalAvgPool_ForwardMatchesCpu(int n, int c, int h, int w)
    {
        float[] x = Random(n * c * h * w, 14);
        var cpuY = CpuTensor(new float[n * c], n, c);
        Cpu.GlobalAvgPoolForward(CpuTensor(x, n, c, h, w), cpuY);
        var y = Buffer(null, n * c);

        new PoolKernels(Launcher).GlobalAvgForward(Buffer(x).Ptr, y.Ptr, n * c, h * w);

        KernelAssert.Close(y.Span, Read(cpuY), KernelTolerance.Sums, "global avg pool");
        y.AssertGuardsIntact("y");
    }

    [TestCase(0f)]
    [TestCase(1f)]
    public void GlobalAvgPool_BackwardMatchesCpu(float beta)
    {
        const int n = 4, c = 70, h = 3, w = 3;
        float[] dy = Random(n * c, 15), dx0 = Random(n * c * h * w, 16);
        var cpuDx = CpuTensor(dx0, n, c, h, w);
        Cpu.GlobalAvgPoolBackward(CpuTensor(dy, n, c), cpuDx, beta);
        var dx = Buffer(beta == 0 ? null : dx0, dx0.Length);

        new PoolKernels(Launcher).GlobalAvgBackward(Buffer(dy).Ptr, dx.Ptr, n * c, h * w, beta);

        KernelAssert.Close(dx.Span, Read(cpuDx), KernelTolerance.FusedMultiplyAdd, $"global avg pool backward {beta}");
        dx.AssertGuardsIntact("dx");
    }
}
