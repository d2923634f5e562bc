using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cpu.Interop;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Backends;

/// <summary>
/// The operand swap the CUDA backend hands to cuBLAS, checked without a GPU: the same column-major call made
/// through OpenBLAS's column-major entry must give the row-major product of the CPU backend.
/// </summary>
public class ColumnMajorGemmTests
{
    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public unsafe void ColumnMajorCallGivesTheRowMajorProduct(bool transposeA, bool transposeB)
    {
        const int m = 7, n = 5, k = 3;
        using var cpu = new CpuBackend(1);
        var av = Random(1, m * k);
        var bv = Random(2, k * n);
        var cv = Random(3, m * n);
        int[] aShape = transposeA ? [k, m] : [m, k];
        int[] bShape = transposeB ? [n, k] : [k, n];
        using var a = From(cpu, av, aShape);
        using var b = From(cpu, bv, bShape);
        using var c = From(cpu, cv, m, n);
        cpu.Gemm(a, transposeA, b, transposeB, c, 1.5f, 0.5f);
        var expected = ToArray(cpu, c);

        var g = ColumnMajorGemm.ForRowMajor(transposeA, transposeB, m, n, k);
        var actual = (float[])cv.Clone();
        fixed (float* pa = av, pb = bv, pc = actual)
        {
            OpenBlas.cblas_sgemm(OpenBlas.ColMajor, g.TransposeFirst ? OpenBlas.Trans : OpenBlas.NoTrans,
                g.TransposeSecond ? OpenBlas.Trans : OpenBlas.NoTrans, g.M, g.N, g.K, 1.5f, pb, g.LeadingFirst, pa,
                g.LeadingSecond, 0.5f, pc, g.LeadingC);
        }
        Assert.That(actual, Is.EqualTo(expected).Within(1e-5f));
    }
}
