using RelReason.Data.Loading;

namespace RelReason.Tests.Data.Loading;

public class EpochOrderTests
{
    [Test]
    public void PermutationIsSeededAndCoversEveryIndex()
    {
        int[] a = EpochOrder.Permutation(1000, 3, 0);
        Assert.That(a.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(EpochOrder.Permutation(1000, 3, 0), Is.EqualTo(a));
        Assert.That(EpochOrder.Permutation(1000, 3, 1), Is.Not.EqualTo(a));
        Assert.That(EpochOrder.Permutation(1000, 4, 0), Is.Not.EqualTo(a));
        Assert.That(EpochOrder.Permutation(0, 3, 0), Is.Empty);
        Assert.That(EpochOrder.Permutation(1, 3, 0), Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void EveryPositionIsEquallyLikelyForEveryElement()
    {
        // Over 6000 epochs of a 4-element permutation, each element lands in each position about 1500 times.
        var counts = new int[4, 4];
        for (int epoch = 0; epoch < 6000; epoch++)
        {
            int[] p = EpochOrder.Permutation(4, 1, epoch);
            for (int pos = 0; pos < 4; pos++)
            {
                counts[p[pos], pos]++;
            }
        }
        double sigma = Math.Sqrt(6000 * 0.25 * 0.75);
        foreach (int c in counts)
        {
            Assert.That(c, Is.InRange(1500 - 5 * sigma, 1500 + 5 * sigma));
        }
    }
}
