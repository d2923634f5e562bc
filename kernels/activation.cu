// Activations the backend does not hand to cuDNN: LeakyReLU (the relation head, slope 0.01).
#include "common.cuh"

// grid: ceil(n / block) blocks; block: 256 threads, one element per thread
// x, y: [n] float32; y may alias x
// writes y = x > 0 ? x : slope * x
extern "C" __global__ void leaky_relu_forward_kernel(int n, const float* x, float* y, float slope)
{
    long long i = rr_global_index();
    if (i < n)
    {
        float v = x[i];
        y[i] = v > 0.0f ? v : slope * v;
    }
}
RR_HOST_EXPORT(leaky_relu_forward_kernel)

// grid: ceil(n / block) blocks; block: 256 threads, one element per thread
// x (the forward input), dy, dx: [n] float32; dx may alias dy; the slope applies at x <= 0 as in PyTorch
// writes dx = dy * (x > 0 ? 1 : slope) + beta * dx
extern "C" __global__ void leaky_relu_backward_kernel(
    int n, const float* __restrict__ x, const float* dy, float* dx, float slope, float beta)
{
    long long i = rr_global_index();
    if (i < n)
    {
        float g = dy[i];
        rr_store(dx, i, x[i] > 0.0f ? g : slope * g, beta);
    }
}
RR_HOST_EXPORT(leaky_relu_backward_kernel)
