using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Training;

/// <summary>What nearest-neighbour evaluation measured.</summary>
/// <param name="K">Neighbours per query.</param>
/// <param name="Accuracy">k-NN top-1: the label most common among the k neighbours (ties: the larger summed
/// similarity) equals the query's.</param>
/// <param name="PrecisionAtK">Mean fraction of a query's k neighbours that share its label.</param>
/// <param name="MeanAveragePrecisionAtK">Mean over queries of AP@k = sum over ranks i &lt;= k of P@i * rel(i),
/// divided by min(k, number of gallery items with the query's label).</param>
/// <param name="Neighbours">For each query, its k gallery indices, nearest first.</param>
public sealed record NeighbourReport(int K, double Accuracy, double PrecisionAtK, double MeanAveragePrecisionAtK,
    int[][] Neighbours);

/// <summary>
/// Cosine nearest neighbours of frozen features: queries (usually the test split) against a gallery (the train
/// split). Features are L2-normalised, similarities come from the backend's GEMM in blocks of queries, and each
/// query keeps its k best gallery items.
/// </summary>
public static class NearestNeighbours
{
    public static NeighbourReport Evaluate(IBackend backend, FeatureSet gallery, FeatureSet queries, int k)
    {
        if (k < 1 || k > gallery.Count)
        {
            throw new ArgumentException($"k-NN: k must be in 1..{gallery.Count} (the gallery size), got {k}");
        }
        if (gallery.Dimension != queries.Dimension)
        {
            throw new ArgumentException(
                $"k-NN: gallery features have {gallery.Dimension} dimensions, queries {queries.Dimension}");
        }
        bool labelled = gallery.Labels.Length > 0 && queries.Labels.Length > 0;
        int d = gallery.Dimension;
        using var g = backend.Empty(new Shape(gallery.Count, d));
        backend.Upload(Normalised(gallery), g);
        var queryRows = Normalised(queries);
        var perLabel = labelled ? gallery.Labels.GroupBy(l => l).ToDictionary(x => x.Key, x => x.Count()) : [];
        var neighbours = new int[queries.Count][];
        double correct = 0, precision = 0, ap = 0;
        const int block = 256;
        var sims = new float[block * gallery.Count];
        for (int start = 0; start < queries.Count; start += block)
        {
            int n = Math.Min(block, queries.Count - start);
            using var q = backend.Empty(new Shape(n, d));
            using var s = backend.Empty(new Shape(n, gallery.Count));
            backend.Upload(queryRows.AsSpan(start * d, n * d), q);
            backend.Gemm(q, false, g, true, s, 1f, 0f);
            backend.Download(s, sims.AsSpan(0, n * gallery.Count));
            for (int i = 0; i < n; i++)
            {
                var row = sims.AsSpan(i * gallery.Count, gallery.Count);
                var top = TopK(row, k);
                neighbours[start + i] = top;
                if (!labelled)
                {
                    continue;
                }
                int label = queries.Labels[start + i];
                correct += Vote(top, row, gallery.Labels) == label ? 1 : 0;
                int hits = 0;
                double sumPrecision = 0;
                for (int r = 0; r < top.Length; r++)
                {
                    if (gallery.Labels[top[r]] == label)
                    {
                        hits++;
                        sumPrecision += (double)hits / (r + 1);
                    }
                }
                precision += (double)hits / k;
                int relevant = Math.Min(k, perLabel.GetValueOrDefault(label));
                ap += relevant == 0 ? 0 : sumPrecision / relevant;
            }
        }
        int m = Math.Max(1, queries.Count);
        return new NeighbourReport(k, correct / m, precision / m, ap / m, neighbours);
    }

    /// <summary>Rows scaled to unit length (a zero row stays zero).</summary>
    internal static float[] Normalised(FeatureSet f)
    {
        var output = (float[])f.Features.Clone();
        for (int i = 0; i < f.Count; i++)
        {
            var row = output.AsSpan(i * f.Dimension, f.Dimension);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
            }
        }
        return output;
    }

    /// <summary>Indices of the k largest values, largest first (ties: lower index first).</summary>
    internal static int[] TopK(ReadOnlySpan<float> values, int k)
    {
        // A min-heap of the best k seen so far; its root is the weakest of them.
        var heap = new (float Value, int Index)[k];
        int size = 0;
        for (int i = 0; i < values.Length; i++)
        {
            var item = (values[i], i);
            if (size < k)
            {
                heap[size] = item;
                SiftUp(heap, size++);
            }
            else if (Better(item, heap[0]))
            {
                heap[0] = item;
                SiftDown(heap, size);
            }
        }
        var order = Comparer<(float Value, int Index)>.Create((a, b) => Better(a, b) ? -1 : Better(b, a) ? 1 : 0);
        Array.Sort(heap, 0, size, order);
        return heap.Take(size).Select(h => h.Index).ToArray();
    }

    private static bool Better((float Value, int Index) a, (float Value, int Index) b) =>
        a.Value > b.Value || (a.Value == b.Value && a.Index < b.Index);

    private static void SiftUp((float, int)[] heap, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(heap[parent], heap[i]))
            {
                break;
            }
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown((float, int)[] heap, int size)
    {
        int i = 0;
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < size && Better(heap[worst], heap[l]))
            {
                worst = l;
            }
            if (r < size && Better(heap[worst], heap[r]))
            {
                worst = r;
            }
            if (worst == i)
            {
                return;
            }
            (heap[worst], heap[i]) = (heap[i], heap[worst]);
            i = worst;
        }
    }

    private static int Vote(int[] top, ReadOnlySpan<float> sims, int[] labels)
    {
        var votes = new Dictionary<int, (int Count, double Similarity)>();
        foreach (int j in top)
        {
            var (c, s) = votes.GetValueOrDefault(labels[j]);
            votes[labels[j]] = (c + 1, s + sims[j]);
        }
        return votes.OrderByDescending(v => v.Value.Count).ThenByDescending(v => v.Value.Similarity).First().Key;
    }
}
