using RelReason.Backends;

namespace RelReason.Tests.Backends;

public class PairIndexTests
{
    [Test]
    public void CountsAndBalanceFollowTheMethod()
    {
        var p = PairIndex.Build(k: 4, m: 5);
        Assert.That(p.Count, Is.EqualTo(5 * 4 * 3));
        Assert.That(p.Targets.Count(t => t == 1f), Is.EqualTo(p.Targets.Count(t => t == 0f)));
    }

    [Test]
    public void ShiftCyclesThroughOneToMMinusOne()
    {
        // K=4 gives 6 block pairs; with M=3 the shift sequence is 1,2,1,2,1,2.
        int m = 3;
        var p = PairIndex.Build(k: 4, m: m);
        int[] expectedShift = [1, 2, 1, 2, 1, 2];
        for (int b = 0; b < 6; b++)
        {
            for (int r = 0; r < m; r++)
            {
                int neg = b * 2 * m + m + r;
                int rightImage = p.Right[neg] % m;
                Assert.That(rightImage, Is.EqualTo(((r - expectedShift[b]) % m + m) % m), $"block {b} row {r}");
                Assert.That(p.Left[neg] % m, Is.EqualTo(r));
            }
        }
    }

    [Test]
    public void LeftIsAlwaysTheEarlierBlockAndPositivesShareTheImage()
    {
        var p = PairIndex.Build(k: 5, m: 4);
        for (int i = 0; i < p.Count; i++)
        {
            Assert.That(p.Left[i] / 4, Is.LessThan(p.Right[i] / 4));
            if (p.Targets[i] == 1f)
            {
                Assert.That(p.Left[i] % 4, Is.EqualTo(p.Right[i] % 4));
            }
            else
            {
                Assert.That(p.Left[i] % 4, Is.Not.EqualTo(p.Right[i] % 4));
            }
        }
    }

    [TestCase(1, 4)]
    [TestCase(3, 1)]
    public void RejectsDegenerateBatches(int k, int m)
    {
        var ex = Assert.Throws<ArgumentException>(() => PairIndex.Build(k, m));
        Assert.That(ex!.Message, Does.Contain(k < 2 ? "K" : "M"));
    }
}
