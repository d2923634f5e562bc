// Host emulation of the small part of CUDA C++ the kernels use, so that kernels/*.cu compile with g++ into
// librelreason_hostkernels.so. Each kernel gets one exported entry, rr_host_<kernel>(grid, block, args), whose
// args follow cuLaunchKernel's convention (an array of pointers, one per parameter, each to the value). The
// launcher runs every block and every thread in order on the calling thread, setting threadIdx/blockIdx/
// blockDim/gridDim before each call, so shared memory and __syncthreads are not available.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

struct uint3
{
    unsigned int x, y, z;
};

struct dim3
{
    unsigned int x, y, z;
};

// The built-in index variables: thread-local so that two test threads can launch at the same time.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

// The launcher is sequential, so a plain read-modify-write is atomic with respect to the other emulated threads;
// the builtin keeps it correct should two host threads ever share an output.
inline float atomicAdd(float* address, float value)
{
    float old = *address;
    float desired;
    do
    {
        desired = old + value;
    } while (!__atomic_compare_exchange(address, &old, &desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return old;
}

// Device math that <cmath> lacks under its CUDA name. The float overloads of expf, logf, log1pf, sqrtf, fabsf,
// fmaxf, fminf and powf come from the C library, as on the device (both are IEEE single precision; the device
// versions differ by at most 1-2 ulp, which the test tolerances cover).
inline float rsqrtf(float x)
{
    return 1.0f / sqrtf(x);
}

inline float __fdividef(float a, float b)
{
    return a / b;
}

// Reinterprets the bits of an int as a float, as CUDA's intrinsic does.
inline float __int_as_float(int bits)
{
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// CUDA declares integer min/max in the global namespace.
inline int min(int a, int b)
{
    return a < b ? a : b;
}

inline int max(int a, int b)
{
    return a > b ? a : b;
}

namespace rr_host
{
// Status codes returned by the exports (the C# HostKernelLauncher maps them to exceptions).
enum Status : int
{
    Ok = 0,
    BadLaunch = 1,
    KernelThrew = 2,
};

template <typename... Params, std::size_t... I>
inline void invoke(void (*kernel)(Params...), void** args, std::index_sequence<I...>)
{
    // Each args[i] points to a value of exactly the parameter's type, as cuLaunchKernel expects.
    kernel(*static_cast<std::remove_cv_t<std::remove_reference_t<Params>>*>(args[I])...);
}

template <typename... Params>
inline int launch(void (*kernel)(Params...), const unsigned int* grid, const unsigned int* block, void** args)
{
    if (grid == nullptr || block == nullptr || (sizeof...(Params) > 0 && args == nullptr))
    {
        return BadLaunch;
    }
    for (int d = 0; d < 3; d++)
    {
        if (grid[d] == 0 || block[d] == 0)
        {
            return BadLaunch;
        }
    }
    // CUDA's limit on threads per block; a launch class asking for more is a bug the device would reject.
    if ((unsigned long long)block[0] * block[1] * block[2] > 1024ULL)
    {
        return BadLaunch;
    }
    gridDim = dim3{grid[0], grid[1], grid[2]};
    blockDim = dim3{block[0], block[1], block[2]};
    try
    {
        for (unsigned int bz = 0; bz < grid[2]; bz++)
            for (unsigned int by = 0; by < grid[1]; by++)
                for (unsigned int bx = 0; bx < grid[0]; bx++)
                {
                    blockIdx = uint3{bx, by, bz};
                    for (unsigned int tz = 0; tz < block[2]; tz++)
                        for (unsigned int ty = 0; ty < block[1]; ty++)
                            for (unsigned int tx = 0; tx < block[0]; tx++)
                            {
                                threadIdx = uint3{tx, ty, tz};
                                invoke(kernel, args, std::index_sequence_for<Params...>{});
                            }
                }
    }
    catch (...)
    {
        return KernelThrew;
    }
    return Ok;
}
} // namespace rr_host

// One C entry per kernel, named rr_host_<kernel>; placed after the kernel's definition in its .cu file.
#define RR_HOST_EXPORT(name)                                                                                    \
    extern "C" __attribute__((visibility("default"))) int rr_host_##name(                                      \
        const unsigned int* grid, const unsigned int* block, void** args)                                      \
    {                                                                                                           \
        return ::rr_host::launch(name, grid, block, args);                                                      \
    }
