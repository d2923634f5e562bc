using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Tests.Cuda;

public class ElementwiseKernelTests : HostKernelTestBase
{
    [TestCase(1)]
    [TestCase(1000)]
    public void Fill_MatchesCpu(int n)
    {
        var cpuY = CpuTensor(new float[n], n);
        Cpu.Fill(cpuY, -2.5f);
        var y = Buffer(null, n);

        new ElementwiseKernels(Launcher).Fill(y.Ptr, n, -2.5f);

        KernelAssert.Close(y.Span, Read(cpuY), KernelTolerance.Exact, "fill");
        y.AssertGuardsIntact("y");
    }

    [Test]
    public void Add_MatchesCpu_AlsoInPlace()
    {
        const int n = 1037;
        float[] a = Random(n, 1), b = Random(n, 2);
        var cpuY = CpuTensor(new float[n], n);
        Cpu.Add(CpuTensor(a, n), CpuTensor(b, n), cpuY);
        var ka = Buffer(a);
        var kb = Buffer(b);
        var y = Buffer(null, n);
        var kernels = new ElementwiseKernels(Launcher);

        kernels.Add(ka.Ptr, kb.Ptr, y.Ptr, n);
        kernels.Add(ka.Ptr, kb.Ptr, ka.Ptr, n);

        KernelAssert.Close(y.Span, Read(cpuY), KernelTolerance.Exact, "add");
        KernelAssert.Close(ka.Span, Read(cpuY), KernelTolerance.Exact, "add in place");
        y.AssertGuardsIntact("y");
        ka.AssertGuardsIntact("a");
    }

    [TestCase(0f)]
    [TestCase(1f)]
    [TestCase(0.35f)]
    public void Accumulate_MatchesCpu(float beta)
    {
        const int n = 777;
        float[] x = Random(n, 3), y0 = Random(n, 4);
        var cpuY = CpuTensor(y0, n);
        Cpu.Accumulate(CpuTensor(x, n), cpuY, beta);
        // With beta 0 the output starts as NaN: it must be overwritten, not scaled.
        var y = Buffer(beta == 0 ? null : y0, n);

        new ElementwiseKernels(Launcher).Accumulate(Buffer(x).Ptr, y.Ptr, n, beta);

        KernelAssert.Close(y.Span, Read(cpuY), KernelTolerance.FusedMultiplyAdd, $"accumulate beta {beta}");
        y.AssertGuardsIntact("y");
    }

    [Test]
    public void LeakyRelu_ForwardMatchesCpu()
    {
        const int n = 515;
        float[] x = Random(n, 5);
        x[0] = 0f;
        x[1] = -0f;
        var cpuY = CpuTensor(new float[n], n);
        Cpu.LeakyReluForward(CpuTensor(x, n), cpuY, 0.01f);
        var y = Buffer(null, n);

        new ElementwiseKernels(Launcher).LeakyReluForward(Buffer(x).Ptr, y.Ptr, n, 0.01f);

        KernelAssert.Close(y.Span, Read(cpuY), KernelTolerance.Exact, "leaky relu");
        y.AssertGuardsIntact("y");
    }

    [TestCase(0f)]
    [TestCase(0.7f)]
    public void LeakyRelu_BackwardMatchesCpu(float beta)
    {
        const int n = 515;
        float[] x = Random(n, 6), dy = Random(n, 7), dx0 = Random(n, 8);
        x[3] = 0f;
        var cpuDx = CpuTensor(dx0, n);
        Cpu.LeakyReluBackward(CpuTensor(x, n), CpuTensor(dy, n), cpuDx, 0.01f, beta);
        var dx = Buffer(beta == 0 ? null : dx0, n);

        new ElementwiseKernels(Launcher).LeakyReluBackward(Buffer(x).Ptr, Buffer(dy).Ptr, dx.Ptr, n, 0.01f, beta);

        KernelAssert.Close(dx.Span, Read(cpuDx), KernelTolerance.FusedMultiplyAdd, $"leaky relu backward beta {beta}");
        dx.AssertGuardsIntact("dx");
    }
}
