using RelReason.Data;

namespace RelReason.Training;

/// <summary>A view of some images of a dataset, in a given order (labelled subsets for fine-tuning).</summary>
public sealed class SubsetDataset(IImageDataset inner, int[] indices, string name) : IImageDataset
{
    public string Name => name;

    public int Count => indices.Length;

    public int Height => inner.Height;

    public int Width => inner.Width;

    public int Channels => inner.Channels;

    public IReadOnlyList<string> ClassNames => inner.ClassNames;

    public bool HasLabels => inner.HasLabels;

    public IReadOnlyList<int> Indices => indices;

    public void ReadImage(int index, Span<byte> destination) => inner.ReadImage(indices[index], destination);

    public int GetLabel(int index) => inner.GetLabel(indices[index]);

    /// <summary>
    /// The same fraction of every class (at least one image each), chosen by a seeded shuffle, in dataset order.
    /// </summary>
    public static SubsetDataset LabelFraction(IImageDataset dataset, double fraction, int seed)
    {
        if (!dataset.HasLabels)
        {
            throw new ArgumentException($"{dataset.Name} has no labels to take a fraction of");
        }
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentException($"--label-fraction must be in (0, 1], got {fraction}");
        }
        var rng = new Nn.InitRandom((ulong)seed ^ 0x5eed_1abe1UL);
        var chosen = new List<int>();
        foreach (var group in Enumerable.Range(0, dataset.Count).GroupBy(dataset.GetLabel).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            for (int i = members.Length - 1; i > 0; i--)
            {
                int j = (int)(rng.NextUInt64() % (ulong)(i + 1));
                (members[i], members[j]) = (members[j], members[i]);
            }
            int take = Math.Max(1, (int)Math.Round(fraction * members.Length));
            chosen.AddRange(members.Take(take));
        }
        chosen.Sort();
        return new SubsetDataset(dataset, chosen.ToArray(), $"{dataset.Name} ({100 * fraction:G4}% of labels)");
    }
}
