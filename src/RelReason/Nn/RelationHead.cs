using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Nn;

/// <summary>
/// The relation head of METHOD.md 1.3: Linear(2D or D -> 256) -> BatchNorm1d -> LeakyReLU(0.01) -> Linear(256 -> 1),
/// scoring each pair of feature rows. Names follow the reference: linear1, bn1, linear2.
/// </summary>
public sealed class RelationHead : Module
{
    public RelationHead(IBackend backend, int featureSize, Aggregation aggregation, ulong seed, int hidden = 256)
        : base(backend)
    {
        Aggregation = aggregation;
        var rng = new InitRandom(seed);
        int input = aggregation == Aggregation.Cat ? 2 * featureSize : featureSize;
        Linear1 = Child("linear1", new Linear(backend, rng.Fork("linear1"), input, hidden));
        Bn1 = Child("bn1", new BatchNorm(backend, hidden));
        Linear2 = Child("linear2", new Linear(backend, rng.Fork("linear2"), hidden, 1));
    }

    public Aggregation Aggregation { get; }

    public Linear Linear1 { get; }

    public BatchNorm Bn1 { get; }

    public Linear Linear2 { get; }

    /// <summary>
    /// When true (the default) a "cat" head never builds the concatenated pairs: its first layer is evaluated per
    /// feature row and gathered per pair (<see cref="Ops.PairLinear"/>). False builds them, for comparison.
    /// </summary>
    public bool SplitFirstLayer { get; set; } = true;

    /// <summary>Features [K*M, D] -> one logit per pair [pairs].</summary>
    public Tensor Forward(Tape tape, Tensor features, PairIndex pairs)
    {
        var z = Aggregation == Aggregation.Cat && SplitFirstLayer
            ? Ops.PairLinear(tape, features, Linear1.Weight, Linear1.Bias, pairs)
            : Linear1.Forward(tape, Ops.PairCombine(tape, features, pairs, Aggregation));
        z = Bn1.Forward(tape, z);
        z = Ops.LeakyRelu(tape, z, 0.01f);
        z = Linear2.Forward(tape, z);
        return Ops.Reshape(tape, z, pairs.Count);
    }
}
