using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Autograd;

public static partial class Ops
{
    /// <summary>y = x W^T + b. x [N, In], W [Out, In], b [Out] -> y [N, Out].</summary>
    public static Tensor Linear(Tape tape, Tensor x, Tensor w, Tensor b)
    {
        if (x.Shape.Rank != 2 || w.Shape.Rank != 2 || x.Shape[1] != w.Shape[1] || b.Length != w.Shape[0])
        {
            throw new ArgumentException(
                $"linear: input {x.Describe()} does not match weight {w.Describe()} and bias {b.Describe()}");
        }
        if (x.Shape[0] == 0)
        {
            throw new ArgumentException($"linear: empty batch {x.Describe()}");
        }
        var y = tape.Empty(x.Shape[0], w.Shape[0]);
        tape.Backend.Gemm(x, false, w, true, y, 1f, 0f);
        tape.Backend.AddBias(y, b);
        if (tape.Needs(x, w, b))
        {
            tape.Record("linear", y, () =>
            {
                if (w.RequiresGrad)
                {
                    var (dw, beta) = tape.GradOf(w);
                    tape.Backend.Gemm(y.Grad!, true, x, false, dw, 1f, beta);
                }
                if (b.RequiresGrad)
                {
                    var (db, beta) = tape.GradOf(b);
                    tape.Backend.BiasBackward(y.Grad!, db, beta);
                }
                if (x.RequiresGrad)
                {
                    var (dx, beta) = tape.GradOf(x);
                    tape.Backend.Gemm(y.Grad!, false, w, false, dx, 1f, beta);
                }
            });
        }
        return y;
    }

    /// <summary>
    /// The relation head's first layer on concatenated pairs without building them: with W [H, 2D] seen as
    /// [2H, D], u = F W^T holds Wa.F_r and Wb.F_r for every feature row, and each pair gathers two of them.
    /// Equals Linear(concat(F[Left], F[Right]), W, b) with a product K-1 times smaller. F [K*M, D] -> [pairs, H].
    /// </summary>
    public static Tensor PairLinear(Tape tape, Tensor f, Tensor w, Tensor b, PairIndex pairs)
    {
        int rows = pairs.K * pairs.M;
        if (f.Shape.Rank != 2 || f.Shape[0] != rows || w.Shape.Rank != 2 || w.Shape[1] != 2 * f.Shape[1] ||
            b.Length != w.Shape[0])
        {
            throw new ArgumentException(
                $"pair linear: features {f.Describe()} (expected [K*M = {rows}, D]) do not match weight " +
                $"{w.Describe()} (expected [H, 2D]) and bias {b.Describe()}");
        }
        int h = w.Shape[0], d = f.Shape[1];
        var w2 = tape.Own(w.Reshape(2 * h, d));
        var u = tape.Empty(rows, 2 * h);
        tape.Backend.Gemm(f, false, w2, true, u, 1f, 0f);
        var z = tape.Empty(pairs.Count, h);
        tape.Backend.PairGatherAdd(u, b, pairs, z);
        if (tape.Needs(f, w, b))
        {
            tape.Record("pair_linear", z, () =>
            {
                var du = tape.Empty(rows, 2 * h);
                tape.Backend.PairScatterAdd(z.Grad!, pairs, du, 0f);
                if (w.RequiresGrad)
                {
                    var (dw, beta) = tape.GradOf(w);
                    var dw2 = tape.Own(dw.Reshape(2 * h, d));
                    tape.Backend.Gemm(du, true, f, false, dw2, 1f, beta);
                }
                if (b.RequiresGrad)
                {
                    var (db, beta) = tape.GradOf(b);
                    tape.Backend.BiasBackward(z.Grad!, db, beta);
                }
                if (f.RequiresGrad)
                {
                    var (df, beta) = tape.GradOf(f);
                    tape.Backend.Gemm(du, false, w2, false, df, 1f, beta);
                }
            });
        }
        return z;
    }

    /// <summary>Explicit pair rows agg(F[Left], F[Right]): [pairs, 2D] for Cat, [pairs, D] otherwise.</summary>
    public static Tensor PairCombine(Tape tape, Tensor f, PairIndex pairs, Aggregation agg)
    {
        if (f.Shape.Rank != 2 || f.Shape[0] != pairs.K * pairs.M)
        {
            throw new ArgumentException(
                $"pair combine: features {f.Describe()} are not [K*M = {pairs.K * pairs.M}, D]");
        }
        int d = f.Shape[1];
        var y = tape.Empty(pairs.Count, agg == Aggregation.Cat ? 2 * d : d);
        tape.Backend.PairCombine(f, pairs, agg, y);
        if (tape.Needs(f))
        {
            tape.Record("pair_combine", y, () =>
            {
                var (df, beta) = tape.GradOf(f);
                tape.Backend.PairCombineBackward(f, y.Grad!, pairs, agg, df, beta);
            });
        }
        return y;
    }

    /// <summary>
    /// Mean binary loss of logits [P] against targets [P]; returns [2] = (loss, correct count). Must be the last
    /// op on the tape: its backward seeds the logits' gradient with d(mean loss)/d logit.
    /// </summary>
    public static Tensor BinaryLoss(Tape tape, Tensor logits, Tensor targets, BinaryLossKind kind, float gamma = 2f,
        float alpha = 0.5f)
    {
        var loss = tape.Empty(2);
        var dLogits = tape.Empty(logits.Shape);
        tape.Backend.BinaryLoss(logits, targets, kind, gamma, alpha, loss, dLogits);
        if (tape.Needs(logits))
        {
            tape.Record(kind == BinaryLossKind.Focal ? "focal_loss" : "bce_loss", loss, () =>
            {
                var (dx, beta) = tape.GradOf(logits);
                tape.Backend.Accumulate(dLogits, dx, beta);
            });
        }
        return loss;
    }

    /// <summary>Mean softmax cross-entropy of logits [N, C] against labels [N]; returns [2] = (loss,
    /// correct).</summary>
    public static Tensor CrossEntropy(Tape tape, Tensor logits, Tensor labels)
    {
        var loss = tape.Empty(2);
        var dLogits = tape.Empty(logits.Shape);
        tape.Backend.SoftmaxCrossEntropy(logits, labels, loss, dLogits);
        if (tape.Needs(logits))
        {
            tape.Record("cross_entropy", loss, () =>
            {
                var (dx, beta) = tape.GradOf(logits);
                tape.Backend.Accumulate(dLogits, dx, beta);
            });
        }
        return loss;
    }
}
