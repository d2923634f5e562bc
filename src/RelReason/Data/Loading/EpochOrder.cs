using RelReason.Data.Augmentation;

namespace RelReason.Data.Loading;

/// <summary>The order in which an epoch visits a dataset.</summary>
public static class EpochOrder
{
    /// <summary>
    /// A permutation of 0..count-1 that depends only on (seed, epoch): a Fisher-Yates shuffle from the last
    /// position down, where position i swaps with j = Below(X0, i + 1) of Philox block
    /// counter (i, 0, 0, <see cref="Philox.Streams.Shuffle"/>), key (seed, epoch).
    /// </summary>
    public static int[] Permutation(int count, int seed, int epoch)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "epoch order: count must be >= 0");
        }
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        for (int i = count - 1; i > 0; i--)
        {
            PhiloxBlock r = Philox.Generate((uint)i, 0, 0, Philox.Streams.Shuffle, (uint)seed, (uint)epoch);
            int j = (int)Philox.Below(r.X0, (uint)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>0, 1, ..., count-1.</summary>
    public static int[] Sequential(int count)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "epoch order: count must be >= 0");
        }
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        return order;
    }
}
