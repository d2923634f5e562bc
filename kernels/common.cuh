// Shared by every kernel file. Compiled by nvcc into PTX, and by g++ into the host library that tests the same
// kernels without a GPU (host/emulation.h). Kernels use neither shared memory nor __syncthreads: the host launcher
// runs the threads of a block one after another, so a barrier could not be honoured.
#pragma once

#ifndef __CUDACC__
#include "host/emulation.h"
#else
// On the device the host-export macro has nothing to do.
#define RR_HOST_EXPORT(name)
#endif

// Flat index of this thread over a 1-d launch; 64-bit so that blockIdx.x * blockDim.x cannot wrap for the
// largest tensors (the launch classes keep every element count below 2^31).
static __device__ __forceinline__ long long rr_global_index()
{
    return (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
}

// Total threads of a 1-d launch (for grid-stride loops).
static __device__ __forceinline__ long long rr_global_threads()
{
    return (long long)gridDim.x * (long long)blockDim.x;
}

// out = value + beta * out with the IBackend rule that beta == 0 overwrites: the old value is not read, so NaN or
// garbage in a fresh output cannot leak through 0 * NaN.
static __device__ __forceinline__ void rr_store(float* out, long long i, float value, float beta)
{
    out[i] = beta == 0.0f ? value : value + beta * out[i];
}

// Logistic function without overflow: exp is only taken of a non-positive number.
static __device__ __forceinline__ float rr_sigmoid(float x)
{
    if (x >= 0.0f)
    {
        return 1.0f / (1.0f + expf(-x));
    }
    float e = expf(x);
    return e / (1.0f + e);
}

// log(1 + exp(x)) without overflow or loss of precision for large |x|.
static __device__ __forceinline__ float rr_softplus(float x)
{
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}
