// Relation pairs (src/RelReason/Backends/PairIndex.cs): pair p joins feature rows left[p] and right[p].
// Backward passes are deterministic scatter-adds written as gathers: each output row r sums, in ascending pair
// order, the gradients of the pairs whose left (or right) is r, taken from a CSR list built once per PairIndex:
// offsets [rows + 1] and pair ids [pairs], so pairs of row r are ids[offsets[r] .. offsets[r + 1]). No atomics.
#include "common.cuh"

// Aggregation codes, in the order of the C# enum RelReason.Backends.Aggregation.
#define RR_AGG_CAT 0
#define RR_AGG_SUM 1
#define RR_AGG_MEAN 2
#define RR_AGG_MAX 3

// grid: ceil(pairs * hidden / block) blocks; block: 256 threads, one (pair, h) per thread, h fastest
// u: [rows, hidden, 2] row-major (u[r, h, 0] is the left half of the head's first layer, u[r, h, 1] the right);
// bias: [hidden]; left, right: [pairs] int32 row ids; z: [pairs, hidden]
// writes z[p, h] = u[left[p], h, 0] + u[right[p], h, 1] + bias[h]
extern "C" __global__ void pair_gather_add_kernel(int pairs, int hidden, const int* __restrict__ left,
    const int* __restrict__ right, const float* __restrict__ u, const float* __restrict__ bias, float* __restrict__ z)
{
    long long i = rr_global_index();
    if (i >= (long long)pairs * hidden)
    {
        return;
    }
    long long p = i / hidden;
    int h = (int)(i % hidden);
    float a = u[((long long)left[p] * hidden + h) * 2];
    float b = u[((long long)right[p] * hidden + h) * 2 + 1];
    z[i] = a + b + bias[h];
}
RR_HOST_EXPORT(pair_gather_add_kernel)

// grid: ceil(rows * hidden * 2 / block) blocks; block: 256 threads, one element of du per thread
// dz: [pairs, hidden]; du: [rows, hidden, 2]; CSR lists of the pairs per left row and per right row
// writes du[r, h, 0] = sum of dz[p, h] over p with left[p] == r (side 1: right[p] == r), + beta * du
extern "C" __global__ void pair_scatter_add_kernel(int rows, int hidden, const int* __restrict__ leftOffsets,
    const int* __restrict__ leftPairs, const int* __restrict__ rightOffsets, const int* __restrict__ rightPairs,
    const float* __restrict__ dz, float* __restrict__ du, float beta)
{
    long long i = rr_global_index();
    if (i >= (long long)rows * hidden * 2)
    {
        return;
    }
    int side = (int)(i & 1);
    long long rh = i >> 1;
    int r = (int)(rh / hidden);
    int h = (int)(rh % hidden);
    const int* offsets = side == 0 ? leftOffsets : rightOffsets;
    const int* ids = side == 0 ? leftPairs : rightPairs;
    float s = 0.0f;
    for (int k = offsets[r]; k < offsets[r + 1]; k++)
    {
        s += dz[(long long)ids[k] * hidden + h];
    }
    rr_store(du, i, s, beta);
}
RR_HOST_EXPORT(pair_scatter_add_kernel)

// grid: ceil(pairs * width / block) blocks; block: 256 threads, one output element per thread
// f: [rows, dim]; out: [pairs, width] with width = 2 * dim for cat, dim otherwise; left, right: [pairs] int32
// writes out[p] = cat(f[l], f[r]) | f[l] + f[r] | (f[l] + f[r]) / 2 | max(f[l], f[r]) (ties and NaN keep left)
extern "C" __global__ void pair_combine_forward_kernel(int pairs, int dim, int agg, const int* __restrict__ left,
    const int* __restrict__ right, const float* __restrict__ f, float* __restrict__ out)
{
    int width = agg == RR_AGG_CAT ? 2 * dim : dim;
    long long i = rr_global_index();
    if (i >= (long long)pairs * width)
    {
        return;
    }
    long long p = i / width;
    int j = (int)(i % width);
    if (agg == RR_AGG_CAT)
    {
        out[i] = j < dim ? f[(long long)left[p] * dim + j] : f[(long long)right[p] * dim + (j - dim)];
        return;
    }
    float a = f[(long long)left[p] * dim + j];
    float b = f[(long long)right[p] * dim + j];
    float v;
    if (agg == RR_AGG_SUM)
    {
        v = a + b;
    }
    else if (agg == RR_AGG_MEAN)
    {
        v = (a + b) * 0.5f;
    }
    else
    {
        v = b > a ? b : a;
    }
    out[i] = v;
}
RR_HOST_EXPORT(pair_combine_forward_kernel)

// Gradient that pair p sends to one of its two rows for feature d (side 0 = left, 1 = right).
static __device__ __forceinline__ float rr_pair_combine_grad(int agg, int dim, int side, long long p, int d,
    const int* __restrict__ left, const int* __restrict__ right, const float* __restrict__ f,
    const float* __restrict__ dOut)
{
    if (agg == RR_AGG_CAT)
    {
        return dOut[p * 2 * dim + side * dim + d];
    }
    float g = dOut[p * dim + d];
    if (agg == RR_AGG_SUM)
    {
        return g;
    }
    if (agg == RR_AGG_MEAN)
    {
        return 0.5f * g;
    }
    // Max: the right row wins only when strictly greater, mirroring the forward pass.
    float a = f[(long long)left[p] * dim + d];
    float b = f[(long long)right[p] * dim + d];
    bool rightWins = b > a;
    return (side == 1) == rightWins ? g : 0.0f;
}

// grid: ceil(rows * dim / block) blocks; block: 256 threads, one element of df per thread
// f: [rows, dim] (forward input, read for max); dOut: [pairs, width] as in the forward; df: [rows, dim];
// CSR lists of the pairs per left row and per right row
// writes df[r, d] = sum over pairs with left r, then over pairs with right r, of their gradient + beta * df
extern "C" __global__ void pair_combine_backward_kernel(int rows, int dim, int agg, const int* __restrict__ left,
    const int* __restrict__ right, const int* __restrict__ leftOffsets, const int* __restrict__ leftPairs,
    const int* __restrict__ rightOffsets, const int* __restrict__ rightPairs, const float* __restrict__ f,
    const float* __restrict__ dOut, float* __restrict__ df, float beta)
{
    long long i = rr_global_index();
    if (i >= (long long)rows * dim)
    {
        return;
    }
    int r = (int)(i / dim);
    int d = (int)(i % dim);
    float s = 0.0f;
    for (int k = leftOffsets[r]; k < leftOffsets[r + 1]; k++)
    {
        s += rr_pair_combine_grad(agg, dim, 0, leftPairs[k], d, left, right, f, dOut);
    }
    for (int k = rightOffsets[r]; k < rightOffsets[r + 1]; k++)
    {
        s += rr_pair_combine_grad(agg, dim, 1, rightPairs[k], d, left, right, f, dOut);
    }
    rr_store(df, i, s, beta);
}
RR_HOST_EXPORT(pair_combine_backward_kernel)
