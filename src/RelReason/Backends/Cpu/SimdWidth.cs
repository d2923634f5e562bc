using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RelReason.Backends.Cpu;

/// <summary>
/// The float operations the direct-convolution kernels are written against, at one register width. Kernels are
/// generic over an implementing struct, so the JIT (and NativeAOT) compiles one copy per width with every call
/// inlined: the 256-bit and 512-bit kernels are one source and the same instructions as hand-written ones.
/// </summary>
internal unsafe interface ISimdWidth<TVec> where TVec : struct
{
    /// <summary>Floats per register.</summary>
    static abstract int Lanes { get; }

    static abstract TVec Zero { get; }

    /// <summary>An unaligned load of <see cref="Lanes"/> floats.</summary>
    static abstract TVec Load(float* p);

    /// <summary>An unaligned store of <see cref="Lanes"/> floats.</summary>
    static abstract void Store(float* p, TVec v);

    static abstract TVec Broadcast(float x);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a * b + c with one rounding.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>The sum of the lanes, in the runtime's fixed order.</summary>
    static abstract float Sum(TVec v);

    static abstract float Element(TVec v, int i);
}

internal static unsafe class Simd
{
    /// <summary>dst[0..count) = v + beta * dst, rounded as the scalar <c>v + beta * dst</c> (the backend's beta
    /// convention; beta 0 never reads dst); a full register is one vector store, a partial one goes lane by
    /// lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<TWidth, TVec>(float* dst, int count, float beta, TVec v)
        where TWidth : ISimdWidth<TVec> where TVec : struct
    {
        if (count == TWidth.Lanes)
        {
            TWidth.Store(dst, beta == 0f ? v
                : beta == 1f ? TWidth.Add(v, TWidth.Load(dst))
                : TWidth.Add(v, TWidth.Multiply(TWidth.Broadcast(beta), TWidth.Load(dst))));
            return;
        }
        for (int i = 0; i < count; i++)
        {
            dst[i] = beta == 0f ? TWidth.Element(v, i) : TWidth.Element(v, i) + beta * dst[i];
        }
    }
}

/// <summary>256-bit registers: AVX + FMA.</summary>
internal readonly unsafe struct Simd256 : ISimdWidth<Vector256<float>>
{
    public static int Lanes => 8;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Avx.LoadVector256(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector256<float> v) => Avx.Store(p, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float x) => Vector256.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => Avx.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => Avx.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(Vector256<float> v, int i) => v.GetElement(i);
}

/// <summary>512-bit registers: AVX-512F (run only where the runtime reports them as fast).</summary>
internal readonly unsafe struct Simd512 : ISimdWidth<Vector512<float>>
{
    public static int Lanes => 16;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Avx512F.LoadVector512(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector512<float> v) => Avx512F.Store(p, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float x) => Vector512.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => Avx512F.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => Avx512F.Multiply(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(Vector512<float> v, int i) => v.GetElement(i);
}
