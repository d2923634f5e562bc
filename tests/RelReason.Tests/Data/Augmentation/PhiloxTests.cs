using RelReason.Data.Augmentation;

namespace RelReason.Tests.Data.Augmentation;

public class PhiloxTests
{
    // Known-answer vectors of Philox-4x32-10 from Random123's tests/kat_vectors (D. E. Shaw Research), lines
    // "philox4x32 10 <ctr0..3> <key0..1> <out0..3>"; the same three lines appear in DEShawResearch/fs123's
    // core123/ut/ut_philox.cpp, and an independent Python transcription of the round function reproduced them.
    [TestCase(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [TestCase(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [TestCase(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void MatchesRandom123KnownAnswers(
        uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        PhiloxBlock r = Philox.Generate(c0, c1, c2, c3, k0, k1);
        Assert.That(new[] { r.X0, r.X1, r.X2, r.X3 }, Is.EqualTo(new[] { e0, e1, e2, e3 }));
    }

    [Test]
    public void UnitFloatCoversZeroToJustBelowOne()
    {
        Assert.That(Philox.ToUnitFloat(0u), Is.EqualTo(0f));
        Assert.That(Philox.ToUnitFloat(0xFFFFFFFFu), Is.EqualTo(1f - 1f / 16777216f));
        Assert.That(Philox.ToUnitFloat(0xFFFFFFFFu), Is.LessThan(1f));
        // The low 8 bits are discarded: 24 bits of resolution.
        Assert.That(Philox.ToUnitFloat(0x000000FFu), Is.EqualTo(0f));
        Assert.That(Philox.ToUnitFloat(0x00000100u), Is.EqualTo(1f / 16777216f));
    }

    [Test]
    public void UnitFloatsFromConsecutiveCountersLookUniform()
    {
        const int n = 40000;
        double sum = 0;
        var bins = new int[10];
        for (uint i = 0; i < n; i++)
        {
            PhiloxBlock r = Philox.Generate(i, 7, 0, 0, 42, 3);
            foreach (uint bits in new[] { r.X0, r.X1, r.X2, r.X3 })
            {
                float u = Philox.ToUnitFloat(bits);
                sum += u;
                bins[(int)(u * 10)]++;
            }
        }
        int draws = 4 * n;
        Assert.That(sum / draws, Is.EqualTo(0.5).Within(5 * Math.Sqrt(1.0 / 12 / draws)));
        double expected = draws / 10.0;
        double sigma = Math.Sqrt(expected * 0.9);
        Assert.That(bins, Has.All.InRange(expected - 5 * sigma, expected + 5 * sigma));
    }

    [Test]
    public void BelowStaysInRangeAndReachesBothEnds()
    {
        Assert.That(Philox.Below(0u, 7), Is.EqualTo(0u));
        Assert.That(Philox.Below(0xFFFFFFFFu, 7), Is.EqualTo(6u));
        Assert.That(Philox.Below(0xFFFFFFFFu, 1), Is.EqualTo(0u));
        var seen = new int[5];
        for (uint i = 0; i < 5000; i++)
        {
            uint v = Philox.Below(Philox.Generate(i, 0, 0, 0, 1, 1).X0, 5);
            Assert.That(v, Is.LessThan(5u));
            seen[v]++;
        }
        Assert.That(seen, Has.All.InRange(1000 - 150, 1000 + 150));
    }

    [Test]
    public void PortableExpIsWithinTwoUlpOfDoubleExp()
    {
        for (int i = -8000; i <= 8000; i++)
        {
            float x = i / 100f;
            double exact = Math.Exp(x);
            float got = PortableMath.Exp(x);
            double ulp = Math.Abs(MathF.BitIncrement((float)exact) - (float)exact);
            Assert.That(Math.Abs(got - exact), Is.LessThanOrEqualTo(2 * ulp), $"exp({x})");
        }
        Assert.That(PortableMath.Exp(0f), Is.EqualTo(1f));
        Assert.That(PortableMath.Exp(100f), Is.EqualTo(float.PositiveInfinity));
        Assert.That(PortableMath.Exp(-100f), Is.EqualTo(0f));
        Assert.That(float.IsNaN(PortableMath.Exp(float.NaN)), Is.True);
    }
}
