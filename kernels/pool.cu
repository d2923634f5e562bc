// Global average pooling (the end of every backbone); the windowed poolings go to cuDNN.
#include "common.cuh"

// grid: ceil(planes / block) blocks; block: 256 threads, one (n, c) plane per thread
// x: [planes, size] (NCHW viewed as [N*C, H*W]); y: [planes]
// writes y[i] = sum of x[i, :] / size
extern "C" __global__ void global_avg_pool_forward_kernel(int planes, int size, const float* __restrict__ x,
    float* __restrict__ y)
{
    long long i = rr_global_index();
    if (i >= planes)
    {
        return;
    }
    const float* row = x + i * size;
    float s = 0.0f;
    for (int k = 0; k < size; k++)
    {
        s += row[k];
    }
    y[i] = s / (float)size;
}
RR_HOST_EXPORT(global_avg_pool_forward_kernel)

// grid: ceil(planes * size / block) blocks; block: 256 threads, one element of dx per thread
// dy: [planes]; dx: [planes, size]
// writes dx[i, k] = dy[i] / size + beta * dx[i, k]
extern "C" __global__ void global_avg_pool_backward_kernel(int planes, int size, const float* __restrict__ dy,
    float* __restrict__ dx, float beta)
{
    long long i = rr_global_index();
    if (i >= (long long)planes * size)
    {
        return;
    }
    rr_store(dx, i, dy[i / size] / (float)size, beta);
}
RR_HOST_EXPORT(global_avg_pool_backward_kernel)
