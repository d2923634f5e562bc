namespace RelReason.Data.Augmentation;

/// <summary>
/// Float functions whose results are the same bits on every platform, for the few places where augmentation
/// needs more than +, -, *, / and sqrt. <see cref="MathF.Exp"/> calls the C runtime, and CUDA's <c>expf</c> is a
/// different approximation, so their last bits differ; a crop size computed from them could then round to a
/// different integer on the GPU than on the CPU. Here exp is built only from correctly rounded IEEE operations.
/// </summary>
/// <remarks>
/// Rules for a CUDA port that must match bit for bit: evaluate each expression in the order written, with no
/// fused multiply-add (compile with <c>-fmad=false</c> or write <c>__fmul_rn</c>/<c>__fadd_rn</c>), keep
/// <c>-prec-div=true -prec-sqrt=true</c> (no <c>--use_fast_math</c>), use <c>rintf</c> for
/// <see cref="MathF.Round(float)"/> (both round half to even), <c>floorf</c> for <see cref="MathF.Floor"/>, and
/// <c>__int_as_float</c> for <see cref="BitConverter.Int32BitsToSingle"/>. C# itself never contracts a*b+c.
/// </remarks>
public static class PortableMath
{
    private const float Log2E = 1.44269504f;

    // ln 2 split into a 9-bit high part (k * Ln2Hi is exact for |k| <= 127) and the remainder,
    // so r = x - k ln2 is accurate (Cody and Waite's range reduction).
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    // Taylor coefficients 1/n! of exp on |r| <= ln2/2; the first dropped term is below 6e-9 relative.
    private const float C2 = 1f / 2f;
    private const float C3 = 1f / 6f;
    private const float C4 = 1f / 24f;
    private const float C5 = 1f / 120f;
    private const float C6 = 1f / 720f;
    private const float C7 = 1f / 5040f;

    /// <summary>
    /// e^x to within about 2 ulp, identical on every IEEE-754 platform. Returns 0 below -87 and +infinity
    /// above 88 (the normal float range); NaN stays NaN.
    /// </summary>
    public static float Exp(float x)
    {
        if (float.IsNaN(x))
        {
            return x;
        }
        if (x > 88f)
        {
            return float.PositiveInfinity;
        }
        if (x < -87f)
        {
            return 0f;
        }
        float k = MathF.Round(x * Log2E);
        float r = x - k * Ln2Hi;
        r = r - k * Ln2Lo;
        float p = C7;
        p = p * r + C6;
        p = p * r + C5;
        p = p * r + C4;
        p = p * r + C3;
        p = p * r + C2;
        p = p * r + 1f;
        p = p * r + 1f;
        // 2^k built from its exponent bits; k is in [-126, 127] for the accepted range of x.
        float twoPowK = BitConverter.Int32BitsToSingle(((int)k + 127) << 23);
        return p * twoPowK;
    }
}
