namespace RelReason.Backends;

/// <summary>
/// The relational-reasoning pairs of one step (METHOD.md 1.2) as two index lists into the feature rows.
/// Features are [K*M, D] in augmentation-major order (row k*M + m is view k of image m). For every block pair
/// i &lt; j in lexicographic order there are M positives (i,m)-(j,m) then M negatives (i,m)-(j,(m-s) mod M),
/// where the shift s starts at 1, grows by one per block pair and wraps from M back to 1.
/// Pair p has target 1 for positives and 0 for negatives. The list is an index, never a copy of features.
/// </summary>
public sealed class PairIndex
{
    private PairIndex(int k, int m, int[] left, int[] right, float[] targets)
    {
        K = k;
        M = m;
        Left = left;
        Right = right;
        Targets = targets;
    }

    public int K { get; }

    public int M { get; }

    /// <summary>Feature row of the left element of each pair (always the earlier augmentation block).</summary>
    public int[] Left { get; }

    /// <summary>Feature row of the right element of each pair.</summary>
    public int[] Right { get; }

    /// <summary>1 for positives, 0 for negatives, in pair order.</summary>
    public float[] Targets { get; }

    public int Count => Left.Length;

    /// <summary>Slot for a backend to cache its own copy of the index lists (e.g. in device memory).</summary>
    public object? BackendCache { get; set; }

    public static PairIndex Build(int k, int m)
    {
        if (k < 2)
        {
            throw new ArgumentException($"relation pairs need K >= 2 views per image, got K={k}");
        }
        if (m < 2)
        {
            throw new ArgumentException(
                $"relation pairs need M >= 2 images per batch, got M={m}: with one image a rolled negative " +
                "is the positive itself");
        }
        int blocks = k * (k - 1) / 2;
        int count = blocks * 2 * m;
        var left = new int[count];
        var right = new int[count];
        var targets = new float[count];
        int p = 0;
        int shift = 1;
        for (int i = 0; i < k - 1; i++)
        {
            for (int j = i + 1; j < k; j++)
            {
                for (int r = 0; r < m; r++, p++)
                {
                    left[p] = i * m + r;
                    right[p] = j * m + r;
                    targets[p] = 1f;
                }
                for (int r = 0; r < m; r++, p++)
                {
                    left[p] = i * m + r;
                    right[p] = j * m + ((r - shift) % m + m) % m;
                    targets[p] = 0f;
                }
                shift++;
                if (shift >= m)
                {
                    shift = 1;
                }
            }
        }
        return new PairIndex(k, m, left, right, targets);
    }
}
