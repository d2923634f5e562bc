// Optimiser updates, one launch per parameter tensor (the update rules of IBackend.AdamStep / SgdStep).
#include "common.cuh"

// grid: ceil(n / block) blocks; block: 256 threads, one parameter per thread
// param, grad, m, v: [n]; stepSize = lr / (1 - beta1^t) and invBc2Sqrt = 1 / sqrt(1 - beta2^t), both computed in
// double on the host and rounded once, as torch.optim.Adam does with its Python scalars
// writes g = grad + wd p (grad itself unchanged); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// param -= stepSize * m / (sqrt(v) * invBc2Sqrt + eps)
extern "C" __global__ void adam_step_kernel(int n, float* __restrict__ param, const float* __restrict__ grad,
    float* __restrict__ m, float* __restrict__ v, float beta1, float beta2, float eps, float weightDecay,
    float stepSize, float invBc2Sqrt)
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
    float mi = m[i] * beta1 + (1.0f - beta1) * g;
    float vi = v[i] * beta2 + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float denom = sqrtf(vi) * invBc2Sqrt + eps;
    param[i] = p - stepSize * (mi / denom);
}
RR_HOST_EXPORT(adam_step_kernel)

// grid: ceil(n / block) blocks; block: 256 threads, one parameter per thread
// param, grad, buf: [n]; nesterov and firstStep are 0 or 1; buf is neither read nor written when momentum is 0
// writes g = grad + wd p; buf = firstStep ? g : momentum buf + g; param -= lr (nesterov ? g + momentum buf : buf)
// (torch.optim.SGD, dampening 0; with momentum 0 simply param -= lr g)
extern "C" __global__ void sgd_step_kernel(int n, float* __restrict__ param, const float* __restrict__ grad,
    float* __restrict__ buf, float lr, float momentum, float weightDecay, int nesterov, int firstStep)
{
    long long i = rr_global_index();
    if (i >= n)
    {
        return;
    }
    float p = param[i];
    float d = grad[i];
    if (weightDecay != 0.0f)
    {
        d += weightDecay * p;
    }
    if (momentum != 0.0f)
    {
        float b = firstStep ? d : momentum * buf[i] + d;
        buf[i] = b;
        d = nesterov ? d + momentum * b : b;
    }
    param[i] = p - lr * d;
}
RR_HOST_EXPORT(sgd_step_kernel)
