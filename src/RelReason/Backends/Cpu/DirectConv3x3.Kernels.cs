using System.Runtime.CompilerServices;

namespace RelReason.Backends.Cpu;

// The forward micro-kernels of DirectConv3x3, generic over the register width (Simd256, Simd512; the 512-bit
// instantiation only runs where the runtime reports fast AVX-512, DirectConvLayout.Wide).
internal static unsafe partial class DirectConv3x3
{
    /// <summary>4 output channels x 4 pixel vectors in 16 accumulators, over all input channels and taps. The
    /// accumulators, 4 input vectors and one broadcast are live at once (21 registers), which needs the 32 vector
    /// registers of AVX-512 CPUs; AVX2-only CPUs (16 registers) run <see cref="KernelPair{TWidth, TVec}"/>, as
    /// this one would spill there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TWidth, TVec>(float* padded, long plane, int* taps, int inChannels, float* w,
        int* inOff, float* y, long outPlane, int* outOff, int* valid, int channels, float beta)
        where TWidth : ISimdWidth<TVec> where TVec : struct
    {
        var a00 = TWidth.Zero; var a01 = a00; var a02 = a00; var a03 = a00;
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
                var x0 = TWidth.Load(p0 + off);
                var x1 = TWidth.Load(p1 + off);
                var x2 = TWidth.Load(p2 + off);
                var x3 = TWidth.Load(p3 + off);
                var b = TWidth.Broadcast(w[0]);
                a00 = TWidth.MultiplyAdd(b, x0, a00); a01 = TWidth.MultiplyAdd(b, x1, a01);
                a02 = TWidth.MultiplyAdd(b, x2, a02); a03 = TWidth.MultiplyAdd(b, x3, a03);
                b = TWidth.Broadcast(w[1]);
                a10 = TWidth.MultiplyAdd(b, x0, a10); a11 = TWidth.MultiplyAdd(b, x1, a11);
                a12 = TWidth.MultiplyAdd(b, x2, a12); a13 = TWidth.MultiplyAdd(b, x3, a13);
                b = TWidth.Broadcast(w[2]);
                a20 = TWidth.MultiplyAdd(b, x0, a20); a21 = TWidth.MultiplyAdd(b, x1, a21);
                a22 = TWidth.MultiplyAdd(b, x2, a22); a23 = TWidth.MultiplyAdd(b, x3, a23);
                b = TWidth.Broadcast(w[3]);
                a30 = TWidth.MultiplyAdd(b, x0, a30); a31 = TWidth.MultiplyAdd(b, x1, a31);
                a32 = TWidth.MultiplyAdd(b, x2, a32); a33 = TWidth.MultiplyAdd(b, x3, a33);
            }
        }
        StoreTile<TWidth, TVec>(y, outOff, valid, beta, a00, a01, a02, a03);
        if (channels > 1)
        {
            StoreTile<TWidth, TVec>(y + outPlane, outOff, valid, beta, a10, a11, a12, a13);
        }
        if (channels > 2)
        {
            StoreTile<TWidth, TVec>(y + 2 * outPlane, outOff, valid, beta, a20, a21, a22, a23);
        }
        if (channels > 3)
        {
            StoreTile<TWidth, TVec>(y + 3 * outPlane, outOff, valid, beta, a30, a31, a32, a33);
        }
    }

    /// <summary>One output channel's 4 pixel vectors.</summary>
    private static void StoreTile<TWidth, TVec>(float* y, int* outOff, int* valid, float beta, TVec v0, TVec v1,
        TVec v2, TVec v3) where TWidth : ISimdWidth<TVec> where TVec : struct
    {
        Simd.Store<TWidth, TVec>(y + outOff[0], valid[0], beta, v0);
        Simd.Store<TWidth, TVec>(y + outOff[1], valid[1], beta, v1);
        Simd.Store<TWidth, TVec>(y + outOff[2], valid[2], beta, v2);
        Simd.Store<TWidth, TVec>(y + outOff[3], valid[3], beta, v3);
    }

    /// <summary>The 16-register version (AVX2 without AVX-512): 4 output channels x 2 pixel vectors, 8
    /// accumulators, 11 live registers, so nothing spills; per (input channel, tap) 2 loads and 4 broadcasts feed
    /// 8 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelPair<TWidth, TVec>(float* padded, long plane, int* taps, int inChannels, float* w,
        int* inOff, float* y, long outPlane, int* outOff, int* valid, int channels, float beta)
        where TWidth : ISimdWidth<TVec> where TVec : struct
    {
        var a00 = TWidth.Zero; var a01 = a00; var a10 = a00; var a11 = a00;
        var a20 = a00; var a21 = a00; var a30 = a00; var a31 = a00;
        float* p0 = padded + inOff[0], p1 = padded + inOff[1];
        for (int ci = 0; ci < inChannels; ci++)
        {
            long cOff = ci * plane;
            for (int t = 0; t < 9; t++, w += BlockC)
            {
                long off = cOff + taps[t];
                var x0 = TWidth.Load(p0 + off);
                var x1 = TWidth.Load(p1 + off);
                var b = TWidth.Broadcast(w[0]);
                a00 = TWidth.MultiplyAdd(b, x0, a00); a01 = TWidth.MultiplyAdd(b, x1, a01);
                b = TWidth.Broadcast(w[1]);
                a10 = TWidth.MultiplyAdd(b, x0, a10); a11 = TWidth.MultiplyAdd(b, x1, a11);
                b = TWidth.Broadcast(w[2]);
                a20 = TWidth.MultiplyAdd(b, x0, a20); a21 = TWidth.MultiplyAdd(b, x1, a21);
                b = TWidth.Broadcast(w[3]);
                a30 = TWidth.MultiplyAdd(b, x0, a30); a31 = TWidth.MultiplyAdd(b, x1, a31);
            }
        }
        for (int j = 0; j < channels; j++)
        {
            var (v0, v1) = j switch { 0 => (a00, a01), 1 => (a10, a11), 2 => (a20, a21), _ => (a30, a31) };
            Simd.Store<TWidth, TVec>(y + j * outPlane + outOff[0], valid[0], beta, v0);
            Simd.Store<TWidth, TVec>(y + j * outPlane + outOff[1], valid[1], beta, v1);
        }
    }
}
