namespace RelReason.Backends;

/// <summary>
/// A row-major product C[m, n] = op(A) op(B) expressed as one column-major GEMM call (cuBLAS's convention). A
/// row-major [r, c] matrix is the column-major [c, r] matrix of the same memory, its transpose, so the call computes
/// C^T = op(B)^T op(A)^T: B becomes the first operand, A the second, m and n swap, and the leading dimensions are
/// the row lengths. Kept apart from the CUDA code so that the mapping is tested on the CPU (through OpenBLAS's
/// column-major entry) on machines without a GPU.
/// </summary>
internal readonly record struct ColumnMajorGemm(bool TransposeFirst, bool TransposeSecond, int M, int N, int K,
    int LeadingFirst, int LeadingSecond, int LeadingC)
{
    /// <summary>
    /// The column-major call for row-major C[m, n] = op(A)[m, k] op(B)[k, n]; the first operand is B, the second A.
    /// </summary>
    internal static ColumnMajorGemm ForRowMajor(bool transposeA, bool transposeB, int m, int n, int k) =>
        new(transposeB, transposeA, n, m, k, transposeB ? k : n, transposeA ? m : k, n);
}
