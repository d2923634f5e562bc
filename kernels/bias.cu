// Bias of a fully connected layer over y viewed as [rows, cols], and its gradient (a column sum).
// The column sum is deterministic: a fixed split of the rows into chunks, each summed in row order by one thread,
// then the chunk sums added in chunk order. No atomics, so every run gives the same bits.
#include "common.cuh"

// grid: ceil(rows * cols / block) blocks; block: 256 threads, one element per thread
// y: [rows, cols] row-major; bias: [cols]
// accumulates y += bias (broadcast over rows)
extern "C" __global__ void bias_add_kernel(int rows, int cols, const float* __restrict__ bias, float* __restrict__ y)
{
    long long i = rr_global_index();
    if (i < (long long)rows * cols)
    {
        y[i] += bias[i % cols];
    }
}
RR_HOST_EXPORT(bias_add_kernel)

// grid: ceil(chunks * cols / block) blocks; block: 256 threads, one (chunk, column) per thread, column fastest so a
// warp reads consecutive addresses. chunks = ceil(rows / chunkRows).
// dy: [rows, cols] row-major; partial: [chunks, cols] scratch
// writes partial[k, c] = sum of dy[r, c] for r in [k * chunkRows, min(rows, (k + 1) * chunkRows))
extern "C" __global__ void bias_backward_partial_kernel(
    int rows, int cols, int chunkRows, const float* __restrict__ dy, float* __restrict__ partial)
{
    long long i = rr_global_index();
    int chunks = (rows + chunkRows - 1) / chunkRows;
    if (i >= (long long)chunks * cols)
    {
        return;
    }
    int c = (int)(i % cols);
    int k = (int)(i / cols);
    int begin = k * chunkRows;
    int end = min(rows, begin + chunkRows);
    float s = 0.0f;
    for (int r = begin; r < end; r++)
    {
        s += dy[(long long)r * cols + c];
    }
    partial[i] = s;
}
RR_HOST_EXPORT(bias_backward_partial_kernel)

// grid: ceil(cols / block) blocks; block: 256 threads, one column per thread
// partial: [chunks, cols] from bias_backward_partial_kernel; dbias: [cols]
// writes dbias = sum over chunks + beta * dbias
extern "C" __global__ void bias_backward_finish_kernel(
    int chunks, int cols, const float* __restrict__ partial, float* __restrict__ dbias, float beta)
{
    long long c = rr_global_index();
    if (c >= cols)
    {
        return;
    }
    float s = 0.0f;
    for (int k = 0; k < chunks; k++)
    {
        s += partial[(long long)k * cols + c];
    }
    rr_store(dbias, c, s, beta);
}
RR_HOST_EXPORT(bias_backward_finish_kernel)
