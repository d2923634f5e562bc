namespace RelReason.Data.Augmentation;

/// <summary>The four 32-bit words one Philox block produces.</summary>
public readonly struct PhiloxBlock
{
    public PhiloxBlock(uint x0, uint x1, uint x2, uint x3)
    {
        X0 = x0;
        X1 = x1;
        X2 = x2;
        X3 = x3;
    }

    public uint X0 { get; }

    public uint X1 { get; }

    public uint X2 { get; }

    public uint X3 { get; }
}

/// <summary>
/// Philox-4x32-10, the counter-based generator of Salmon et al. (SC'11, "Parallel random numbers: as easy as
/// 1, 2, 3"): a pure function of a 128-bit counter and a 64-bit key, so any draw can be computed on its own, in
/// any order, on any thread or GPU lane. Augmentation keys it with (seed, epoch) and counts with
/// (image, view, draw, stream); see <see cref="Streams"/>.
/// </summary>
/// <remarks>
/// Everything here is integer arithmetic on uint (plus one exact int-to-float conversion), so a CUDA port gives
/// the same bits: <c>(ulong)a * b</c> is <c>__umulhi</c> / a 32x32->64 multiply, and the rest is xor and add.
/// Checked against the Random123 known-answer vectors in the tests.
/// </remarks>
public static class Philox
{
    // Multipliers and Weyl key increments of Philox-4x32 (Random123's PHILOX_M4x32_0/1, PHILOX_W32_0/1).
    private const uint Mul0 = 0xD2511F53;
    private const uint Mul1 = 0xCD9E8D57;
    private const uint Weyl0 = 0x9E3779B9;
    private const uint Weyl1 = 0xBB67AE85;

    /// <summary>Stream tags placed in the fourth counter word so different uses never share a counter.</summary>
    public static class Streams
    {
        /// <summary>Per-view augmentation draws: counter (image, view, draw, 0).</summary>
        public const uint Augment = 0;

        /// <summary>The epoch permutation: counter (position, 0, 0, 1).</summary>
        public const uint Shuffle = 1;
    }

    /// <summary>Ten Philox rounds over counter (c0..c3) with key (k0, k1).</summary>
    public static PhiloxBlock Generate(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                // The key is bumped between rounds (9 bumps for 10 rounds); uint addition wraps as on a GPU.
                k0 += Weyl0;
                k1 += Weyl1;
            }
            ulong p0 = (ulong)Mul0 * c0;
            ulong p1 = (ulong)Mul1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        return new PhiloxBlock(c0, c1, c2, c3);
    }

    /// <summary>
    /// A float uniform on [0, 1) from the top 24 bits: k * 2^-24 for k in [0, 2^24). Both the int-to-float
    /// conversion and the scaling by a power of two are exact, so every platform gives the same value.
    /// </summary>
    public static float ToUnitFloat(uint bits) => (bits >> 8) * (1.0f / 16777216.0f);

    /// <summary>
    /// An integer in [0, n) as the high word of bits * n (a multiply-shift, no rejection). Its bias is below
    /// n / 2^32, far under anything the statistics could see for crop offsets and permutation indices.
    /// CUDA: <c>__umulhi(bits, n)</c>.
    /// </summary>
    public static uint Below(uint bits, uint n) => (uint)(((ulong)bits * n) >> 32);
}
