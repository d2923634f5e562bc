using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RelReason.Backends.Cpu;

/// <summary>
/// How the direct 3x3 convolution lays out one zero-bordered input image and cuts the output into pixel vectors.
/// Tap (kh, kw) of the vector whose input offset is o reads <c>o + kh * RowStride + kw * KwStride</c>, so the
/// kernels see one rule for every layout:
/// <list type="bullet">
/// <item>Rows (every map): per channel a plane [H + 2, Wp], Wp = W rounded up to whole vectors + 2, image at row 1,
/// column 1 (RowStride = Wp, KwStride = 1). A vector is <see cref="Lanes"/> adjacent pixels of one row: 16 when
/// the CPU has fast AVX-512 and W > 8 (the last vector of a row may be partly past the edge: 75% of the lanes are
/// used at W = 12 or 24, which still beats 8-lane vectors), else 8.</item>
/// <item>Stacked (W = 8, H even, fast AVX-512): a 512-bit vector holds two output rows. Per channel three planes
/// [H + 2, 8], plane kw holding the bordered rows shifted left by kw (RowStride = 8, KwStride = 8 (H + 2)), so
/// rows r and r + 1 of a plane are 16 contiguous floats: an 8x8 map fills whole registers with 3x the input
/// copied, instead of half-empty 512-bit or 256-bit registers.</item>
/// </list>
/// </summary>
internal readonly record struct DirectConvLayout(int Height, int Width, int Lanes, int RowsPerVector, int RowStride,
    long KwStride, long Plane)
{
    /// <summary>The runtime reports 512-bit vectors as fast (it does not on CPUs that throttle for them).</summary>
    internal static bool Wide => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>The layout for [H, W] maps; <paramref name="wide"/> allows 512-bit vectors (only pass true when
    /// <see cref="Wide"/> is).</summary>
    internal static DirectConvLayout For(int height, int width, bool wide)
    {
        if (wide && width == 8 && height % 2 == 0)
        {
            return new DirectConvLayout(height, width, 16, 2, 8, 8L * (height + 2), 24L * (height + 2));
        }
        int lanes = wide && width > 8 ? 16 : 8;
        int wp = (width + lanes - 1) / lanes * lanes + 2;
        return new DirectConvLayout(height, width, lanes, 1, wp, 1, (long)(height + 2) * wp);
    }

    /// <summary>Vectors per row group (a row group is <see cref="RowsPerVector"/> output rows).</summary>
    internal int VectorsPerRow => (Width + Lanes - 1) / Lanes;

    /// <summary>Pixel vectors per output plane.</summary>
    internal int Vectors => Height / RowsPerVector * VectorsPerRow;

    /// <summary>Row stride of an output-shaped plane as the filter kernel reads dy: W rounded up to whole
    /// vectors (the stacked layout needs W itself).</summary>
    internal int DyWidth => RowsPerVector == 2 ? Width : (Width + Lanes - 1) / Lanes * Lanes;

    /// <summary>Input offset (tap 0, 0), output offset (in an [H, W] plane) and valid lanes of vector v.</summary>
    internal (int In, int Out, int Valid) Vector(int v)
    {
        int group = v / VectorsPerRow, col = v % VectorsPerRow * Lanes;
        int row = group * RowsPerVector;
        return (row * RowStride + col, row * Width + col, Math.Min(Lanes, (Width - col) * RowsPerVector));
    }

    /// <summary>Copies one image [C, H, W] into a padded image [C][Plane] whose borders are already zero (they
    /// are never written, so one clear per buffer suffices).</summary>
    internal unsafe void PadInto(float* x, int channels, float* padded)
    {
        for (int c = 0; c < channels; c++)
        {
            float* src = x + (long)c * Height * Width;
            float* dst = padded + c * Plane;
            for (int y = 0; y < Height; y++)
            {
                var row = new ReadOnlySpan<float>(src + (long)y * Width, Width);
                if (RowsPerVector == 1)
                {
                    row.CopyTo(new Span<float>(dst + (long)(y + 1) * RowStride + 1, Width));
                    continue;
                }
                // Plane kw, column j holds input column j + kw - 1.
                float* r = dst + (long)(y + 1) * 8;
                row[..7].CopyTo(new Span<float>(r + 1, 7));
                row.CopyTo(new Span<float>(r + KwStride, 8));
                row[1..].CopyTo(new Span<float>(r + 2 * KwStride, 7));
            }
        }
    }
}
