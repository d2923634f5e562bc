// Elementwise kernels over flat float32 buffers: fill, residual add, gradient accumulation.
#include "common.cuh"

// grid: ceil(n / block) blocks; block: 256 threads, one element per thread
// y: [n] float32
// writes y with =
extern "C" __global__ void fill_kernel(int n, float value, float* __restrict__ y)
{
    long long i = rr_global_index();
    if (i < n)
    {
        y[i] = value;
    }
}
RR_HOST_EXPORT(fill_kernel)

// grid: ceil(n / block) blocks; block: 256 threads, one element per thread
// a, b, y: [n] float32; y may alias a or b (each thread reads its element before writing it)
// writes y = a + b
extern "C" __global__ void add_kernel(int n, const float* a, const float* b, float* y)
{
    long long i = rr_global_index();
    if (i < n)
    {
        y[i] = a[i] + b[i];
    }
}
RR_HOST_EXPORT(add_kernel)

// grid: ceil(n / block) blocks; block: 256 threads, one element per thread
// x, y: [n] float32
// writes y = x + beta * y (beta 0 copies x without reading y)
extern "C" __global__ void accumulate_kernel(int n, const float* __restrict__ x, float* __restrict__ y, float beta)
{
    long long i = rr_global_index();
    if (i < n)
    {
        rr_store(y, i, x[i], beta);
    }
}
RR_HOST_EXPORT(accumulate_kernel)
