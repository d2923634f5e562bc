using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RelReason.Backends.Cpu;

// The forward micro-kernels of DirectConv3x3: 4 output channels x 4 pixel vectors in 16 accumulators, over all
// input channels and taps. The 256-bit and 512-bit versions are the same code with another register width; the
// 512-bit one only runs when the runtime reports fast AVX-512 (DirectConvLayout.Wide). Both keep the
// accumulators, 4 input vectors and one broadcast live (21 registers), which needs the 32 vector registers of
// AVX-512 CPUs; AVX2-only CPUs (16 registers) run Kernel256Pair, which would otherwise spill.
internal static unsafe partial class DirectConv3x3
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* padded, long plane, int* taps, int inChannels, float* w, int* inOff,
        float* y, long outPlane, int* outOff, int* valid, int channels, float beta)
    {
        var a00 = Vector256<float>.Zero; var a01 = a00; var a02 = a00; var a03 = a00;
        var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
        var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00;
        var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00;
        float* p0 = padded + inOff[0], p1 = padded + inOff[1], p2 = padded + inOff[2], p3 = padded + inOff[3];
        for (int ci = 0; ci < inChannels; ci++)
        {
            long cOff = ci * plane;
            for (int t = 0; t < 9; t++, w += BlockC)
            {
                long off = cOff + taps[t];
                var x0 = Avx.LoadVector256(p0 + off);
                var x1 = Avx.LoadVector256(p1 + off);
                var x2 = Avx.LoadVector256(p2 + off);
                var x3 = Avx.LoadVector256(p3 + off);
                var b = Vector256.Create(w[0]);
                a00 = Fma.MultiplyAdd(b, x0, a00); a01 = Fma.MultiplyAdd(b, x1, a01);
                a02 = Fma.MultiplyAdd(b, x2, a02); a03 = Fma.MultiplyAdd(b, x3, a03);
                b = Vector256.Create(w[1]);
                a10 = Fma.MultiplyAdd(b, x0, a10); a11 = Fma.MultiplyAdd(b, x1, a11);
                a12 = Fma.MultiplyAdd(b, x2, a12); a13 = Fma.MultiplyAdd(b, x3, a13);
                b = Vector256.Create(w[2]);
                a20 = Fma.MultiplyAdd(b, x0, a20); a21 = Fma.MultiplyAdd(b, x1, a21);
                a22 = Fma.MultiplyAdd(b, x2, a22); a23 = Fma.MultiplyAdd(b, x3, a23);
                b = Vector256.Create(w[3]);
                a30 = Fma.MultiplyAdd(b, x0, a30); a31 = Fma.MultiplyAdd(b, x1, a31);
                a32 = Fma.MultiplyAdd(b, x2, a32); a33 = Fma.MultiplyAdd(b, x3, a33);
            }
        }
        Store(y, outOff, valid, beta, a00, a01, a02, a03);
        if (channels > 1)
        {
            Store(y + outPlane, outOff, valid, beta, a10, a11, a12, a13);
        }
        if (channels > 2)
        {
            Store(y + 2 * outPlane, outOff, valid, beta, a20, a21, a22, a23);
        }
        if (channels > 3)
        {
            Store(y + 3 * outPlane, outOff, valid, beta, a30, a31, a32, a33);
        }
    }

    private static void Store(float* y, int* outOff, int* valid, float beta, Vector256<float> v0,
        Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        Store(y + outOff[0], valid[0], beta, v0);
        Store(y + outOff[1], valid[1], beta, v1);
        Store(y + outOff[2], valid[2], beta, v2);
        Store(y + outOff[3], valid[3], beta, v3);
    }

    /// <summary>dst[0..count) = v + beta * dst (the backend's beta convention; beta 0 never reads dst).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, int count, float beta, Vector256<float> v)
    {
        if (count == 8)
        {
            if (beta == 0f)
            {
                Avx.Store(dst, v);
            }
            else
            {
                Avx.Store(dst, beta == 1f ? Avx.Add(v, Avx.LoadVector256(dst)) :
                    Avx.Add(v, Avx.Multiply(Vector256.Create(beta), Avx.LoadVector256(dst))));
            }
            return;
        }
        for (int i = 0; i < count; i++)
        {
            dst[i] = beta == 0f ? v.GetElement(i) : v.GetElement(i) + beta * dst[i];
        }
    }



    /// <summary>The 16-register version (AVX2 without AVX-512): 4 output channels x 2 pixel vectors, 8
    /// accumulators, 11 live registers, so nothing spills; per (input channel, tap) 2 loads and 4 broadcasts feed
    /// 8 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256Pair(float* padded, long plane, int* taps, int inChannels, float* w, int* inOff,
        float* y, long outPlane, int* outOff, int* valid, int channels, float beta)
    {
        var a00 = Vector256<float>.Zero; var a01 = a00; var a10 = a00; var a11 = a00;
        var a20 = a00; var a21 = a00; var a30 = a00; var a31 = a00;
        float* p0 = padded + inOff[0], p1 = padded + inOff[1];
        for (int ci = 0; ci < inChannels; ci++)
        {
            long cOff = ci * plane;
            for (int t = 0; t < 9; t++, w += BlockC)
            {
                long off = cOff + taps[t];
                var x0 = Avx.LoadVector256(p0 + off);
                var x1 = Avx.LoadVector256(p1 + off);
                var b = Vector256.Create(w[0]);
                a00 = Fma.MultiplyAdd(b, x0, a00); a01 = Fma.MultiplyAdd(b, x1, a01);
                b = Vector256.Create(w[1]);
                a10 = Fma.MultiplyAdd(b, x0, a10); a11 = Fma.MultiplyAdd(b, x1, a11);
                b = Vector256.Create(w[2]);
                a20 = Fma.MultiplyAdd(b, x0, a20); a21 = Fma.MultiplyAdd(b, x1, a21);
                b = Vector256.Create(w[3]);
                a30 = Fma.MultiplyAdd(b, x0, a30); a31 = Fma.MultiplyAdd(b, x1, a31);
            }
        }
        for (int j = 0; j < channels; j++)
        {
            var (v0, v1) = j switch { 0 => (a00, a01), 1 => (a10, a11), 2 => (a20, a21), _ => (a30, a31) };
            Store(y + j * outPlane + outOff[0], valid[0], beta, v0);
            Store(y + j * outPlane + outOff[1], valid[1], beta, v1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* padded, long plane, int* taps, int inChannels, float* w, int* inOff,
        float* y, long outPlane, int* outOff, int* valid, int channels, float beta)
    {
        var a00 = Vector512<float>.Zero; var a01 = a00; var a02 = a00; var a03 = a00;
        var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
        var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00;
        var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00;
        float* p0 = padded + inOff[0], p1 = padded + inOff[1], p2 = padded + inOff[2], p3 = padded + inOff[3];
        for (int ci = 0; ci < inChannels; ci++)
        {
            long cOff = ci * plane;
            for (int t = 0; t < 9; t++, w += BlockC)
            {
                long off = cOff + taps[t];
                var x0 = Avx512F.LoadVector512(p0 + off);
                var x1 = Avx512F.LoadVector512(p1 + off);
                var x2 = Avx512F.LoadVector512(p2 + off);
                var x3 = Avx512F.LoadVector512(p3 + off);
                var b = Vector512.Create(w[0]);
                a00 = Avx512F.FusedMultiplyAdd(b, x0, a00); a01 = Avx512F.FusedMultiplyAdd(b, x1, a01);
                a02 = Avx512F.FusedMultiplyAdd(b, x2, a02); a03 = Avx512F.FusedMultiplyAdd(b, x3, a03);
                b = Vector512.Create(w[1]);
                a10 = Avx512F.FusedMultiplyAdd(b, x0, a10); a11 = Avx512F.FusedMultiplyAdd(b, x1, a11);
                a12 = Avx512F.FusedMultiplyAdd(b, x2, a12); a13 = Avx512F.FusedMultiplyAdd(b, x3, a13);
                b = Vector512.Create(w[2]);
                a20 = Avx512F.FusedMultiplyAdd(b, x0, a20); a21 = Avx512F.FusedMultiplyAdd(b, x1, a21);
                a22 = Avx512F.FusedMultiplyAdd(b, x2, a22); a23 = Avx512F.FusedMultiplyAdd(b, x3, a23);
                b = Vector512.Create(w[3]);
                a30 = Avx512F.FusedMultiplyAdd(b, x0, a30); a31 = Avx512F.FusedMultiplyAdd(b, x1, a31);
                a32 = Avx512F.FusedMultiplyAdd(b, x2, a32); a33 = Avx512F.FusedMultiplyAdd(b, x3, a33);
            }
        }
        Store(y, outOff, valid, beta, a00, a01, a02, a03);
        if (channels > 1)
        {
            Store(y + outPlane, outOff, valid, beta, a10, a11, a12, a13);
        }
        if (channels > 2)
        {
            Store(y + 2 * outPlane, outOff, valid, beta, a20, a21, a22, a23);
        }
        if (channels > 3)
        {
            Store(y + 3 * outPlane, outOff, valid, beta, a30, a31, a32, a33);
        }
    }

    private static void Store(float* y, int* outOff, int* valid, float beta, Vector512<float> v0,
        Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        Store(y + outOff[0], valid[0], beta, v0);
        Store(y + outOff[1], valid[1], beta, v1);
        Store(y + outOff[2], valid[2], beta, v2);
        Store(y + outOff[3], valid[3], beta, v3);
    }

    /// <summary>dst[0..count) = v + beta * dst (the backend's beta convention; beta 0 never reads dst).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, int count, float beta, Vector512<float> v)
    {
        if (count == 16)
        {
            if (beta == 0f)
            {
                Avx512F.Store(dst, v);
            }
            else
            {
                Avx512F.Store(dst, beta == 1f ? Avx512F.Add(v, Avx512F.LoadVector512(dst)) :
                    Avx512F.Add(v, Avx512F.Multiply(Vector512.Create(beta), Avx512F.LoadVector512(dst))));
            }
            return;
        }
        for (int i = 0; i < count; i++)
        {
            dst[i] = beta == 0f ? v.GetElement(i) : v.GetElement(i) + beta * dst[i];
        }
    }
}
