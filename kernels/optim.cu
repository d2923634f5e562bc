// Optimiser updates, one launch per parameter tensor (the update rules of IBackend.AdamStep / SgdStep).
#include "common.cuh"

// grid: ceil(n / block) blocks; block: 256 threads, one parameter per thread
// param, grad, m, v: [n]; bc1 = 1 - beta1^t, bc2 = 1 - beta2^t, computed in double on the host
// writes g = grad + wd p (grad itself unchanged); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// param -= lr (m / bc1) / (sqrt(v / bc2) + eps)   (torch.optim.Adam with L2 weight decay)
extern "C" __global__ void adam_step_kernel(int n, float* __restrict__ param, const float* __restrict__ grad,
    float* __restrict__ m, float* __restrict__ v, float lr, float beta1, float beta2, float eps, float weightDecay,
    float bc1, float bc2)
{
    long long i = rr_global_index();
    if (i >= n)
    {
        return;
    }
    float p = param[i];
    float g = grad[i];
    if (weightDecay != 0.0f)
    {
        g += weightDecay * p;
    }
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
}
RR_HOST_EXPORT(adam_step_kernel)

// grid: ceil(n / block) blocks; block: 256 threads, one parameter per thread
// param, grad, buf: [n]; nesterov and firstStep are 0 or 1
// writes g = grad + wd p; buf = firstStep ? g : momentum buf + g; param -= lr (nesterov ? g + momentum buf : buf)
// (torch.optim.SGD, dampening 0)
extern "C" __global__ void sgd_step_kernel(int n, float* __restrict__ param, const float* __restrict__ grad,
    float* __restrict__ buf, float lr, float momentum, float weightDecay, int nesterov, int firstStep)
{
    long long i = rr_global_index();
    if (i >= n)
    {
        return;
    }
    float p = param[i];
    float g = grad[i];
    if (weightDecay != 0.0f)
    {
        g += weightDecay * p;
    }
    float b = firstStep ? g : momentum * buf[i] + g;
    buf[i] = b;
    param[i] = p - lr * (nesterov ? g + momentum * b : b);
}
RR_HOST_EXPORT(sgd_step_kernel)
