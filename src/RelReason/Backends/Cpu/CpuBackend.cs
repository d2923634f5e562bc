using System.Numerics;
using System.Runtime.InteropServices;
using RelReason.Backends.Cpu.Interop;
using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

/// <summary>
/// The reference backend: managed loops (vectorised where it pays) and OpenBLAS for matrix products. Parallelism
/// is ours: OpenBLAS runs single-threaded and work is split over <see cref="Threads"/> workers with a static
/// partition, so results depend only on the thread count, never on scheduling.
/// </summary>
public sealed unsafe partial class CpuBackend : IBackend
{
    private readonly CpuParallel _parallel;

    public CpuBackend(int threads = 0)
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        _parallel = new CpuParallel(Threads);
        OpenBlas.EnsureLoaded();
        OpenBlas.openblas_set_num_threads(1);
    }

    public string Name => "cpu";

    public int Threads { get; }

    public CpuMemoryPool Pool { get; } = new();

    public string Description
    {
        get
        {
            string config = Marshal.PtrToStringUTF8(OpenBlas.openblas_get_config()) ?? "OpenBLAS";
            return $"cpu ({Threads} threads, {config.Trim()}, from {OpenBlas.LoadedFrom})";
        }
    }

    public string Arithmetic
    {
        get
        {
            string conv = !DirectConvEnabled || !DirectConv3x3.HardwareSupported
                ? "im2col conv"
                : $"direct conv on {DirectConvModes.Registers(DirectConvMode)}";
            string core = Marshal.PtrToStringUTF8(OpenBlas.openblas_get_corename())?.Trim() ?? "unknown";
            return $"cpu: {Threads} thread{(Threads == 1 ? "" : "s")}, {conv}, OpenBLAS {core}";
        }
    }

    public Tensor Empty(Shape shape) => new(Pool.Rent(shape.Elements), shape);

    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        if (source.Length != destination.Length)
        {
            throw new ArgumentException(
                $"upload: {source.Length} host values into {destination.Describe()} ({destination.Length} elements)");
        }
        source.CopyTo(Span(destination));
    }

    public void Download(Tensor source, Span<float> destination)
    {
        if (destination.Length != source.Length)
        {
            throw new ArgumentException(
                $"download: {source.Describe()} ({source.Length} elements) into {destination.Length} host values");
        }
        Span(source).CopyTo(destination);
    }

    public void Fill(Tensor destination, float value) => Span(destination).Fill(value);

    public void Copy(Tensor source, Tensor destination)
    {
        ShapeCheck.SameLength("copy", source, destination);
        Span(source).CopyTo(Span(destination));
    }

    public void Synchronize()
    {
    }

    /// <summary>The memory of a CPU tensor, or an error naming the tensor when it lives elsewhere.</summary>
    public static Span<float> Span(Tensor t) => new(Ptr(t), checked((int)t.Length));

    internal static float* Ptr(Tensor t)
    {
        if (t.Storage is not CpuStorage s)
        {
            throw new ArgumentException($"cpu backend: tensor {t.Describe()} lives on {t.Storage.Device}");
        }
        return s.Pointer;
    }

    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float alpha, float beta)
    {
        var (m, n, k) = ShapeCheck.Gemm(a, transposeA, b, transposeB, c);
        Gemm(transposeA, transposeB, m, n, k, alpha, Ptr(a), Ptr(b), beta, Ptr(c));
    }

    /// <summary>Row-major C[m,n] = alpha op(A) op(B) + beta C with dense leading dimensions, split over
    /// workers.</summary>
    internal void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, float* b, float beta,
        float* c)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        int ta = transA ? OpenBlas.Trans : OpenBlas.NoTrans;
        int tb = transB ? OpenBlas.Trans : OpenBlas.NoTrans;
        // Split the larger output dimension; each worker's slice is itself a GEMM on offset pointers.
        const long grain = 64;
        if ((long)m * n * Math.Max(k, 1) < 1 << 18 || _parallel.Threads == 1)
        {
            OpenBlas.cblas_sgemm(OpenBlas.RowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
        }
        else if (m >= n)
        {
            _parallel.For(m, (r0, r1, _) =>
            {
                float* aSlice = transA ? a + r0 : a + r0 * k;
                OpenBlas.cblas_sgemm(OpenBlas.RowMajor, ta, tb, (int)(r1 - r0), n, k, alpha, aSlice, lda, b, ldb,
                    beta, c + r0 * n, n);
            }, grain);
        }
        else
        {
            _parallel.For(n, (c0, c1, _) =>
            {
                float* bSlice = transB ? b + c0 * k : b + c0;
                OpenBlas.cblas_sgemm(OpenBlas.RowMajor, ta, tb, m, (int)(c1 - c0), k, alpha, a, lda, bSlice, ldb,
                    beta, c + c0, n);
            }, grain);
        }
    }

    public void Add(Tensor a, Tensor b, Tensor y)
    {
        ShapeCheck.SameLength("add", a, b);
        ShapeCheck.SameLength("add", a, y);
        float* pa = Ptr(a), pb = Ptr(b), py = Ptr(y);
        _parallel.For(a.Length, (s, e, _) =>
        {
            var sa = new ReadOnlySpan<float>(pa + s, (int)(e - s));
            var sb = new ReadOnlySpan<float>(pb + s, (int)(e - s));
            System.Numerics.Tensors.TensorPrimitives.Add(sa, sb, new Span<float>(py + s, (int)(e - s)));
        }, 1 << 15);
    }

    public void Accumulate(Tensor x, Tensor y, float beta)
    {
        ShapeCheck.SameLength("accumulate", x, y);
        float* px = Ptr(x), py = Ptr(y);
        _parallel.For(x.Length, (s, e, _) =>
        {
            var sx = new ReadOnlySpan<float>(px + s, (int)(e - s));
            var sy = new Span<float>(py + s, (int)(e - s));
            if (beta == 0f)
            {
                sx.CopyTo(sy);
            }
            else if (beta == 1f)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(sx, sy, sy);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(sy, beta, sx, sy);
            }
        }, 1 << 15);
    }

    public void Dispose() => Pool.Dispose();

    /// <summary>dst = v + beta * dst, the beta convention of every backward op.</summary>
    private static void Store(ref float dst, float v, float beta) => dst = beta == 0f ? v : v + beta * dst;

    private static Vector<float> Splat(float v) => new(v);
}
