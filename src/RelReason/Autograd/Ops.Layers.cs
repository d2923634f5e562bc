using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Autograd;

/// <summary>
/// Differentiable ops: each runs its forward on the tape's backend and, when a gradient is needed, records a
/// backward that reads the output's gradient and writes (or accumulates into) its inputs' gradients.
/// </summary>
public static partial class Ops
{
    /// <summary>Convolution without bias. x [N, Cin, H, W], w [Cout, Cin, KH, KW].</summary>
    public static Tensor Conv2d(Tape tape, Tensor x, Tensor w, int stride, int pad)
    {
        if (x.Shape.Rank != 4 || w.Shape.Rank != 4 || x.Shape[1] != w.Shape[1])
        {
            throw new ArgumentException(
                $"conv2d: input {x.Describe()} does not match weight {w.Describe()} " +
                $"(expected [N, {w.Shape[1]}, H, W])");
        }
        var g = new ConvGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3],
            stride, pad);
        if (g.N == 0)
        {
            throw new ArgumentException($"conv2d: empty batch {x.Describe()}");
        }
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
        {
            throw new ArgumentException(
                $"conv2d: input {x.Describe()} is smaller than the {g.KernelH}x{g.KernelW} kernel of {w.Describe()}");
        }
        var y = tape.Empty(g.N, g.OutChannels, g.OutHeight, g.OutWidth);
        tape.Backend.ConvForward(x, w, y, g);
        if (tape.Needs(x, w))
        {
            tape.Record("conv2d", y, () =>
            {
                if (w.RequiresGrad)
                {
                    var (dw, b) = tape.GradOf(w);
                    tape.Backend.ConvBackwardFilter(x, y.Grad!, dw, g, b);
                }
                if (x.RequiresGrad)
                {
                    var (dx, b) = tape.GradOf(x);
                    tape.Backend.ConvBackwardData(y.Grad!, w, dx, g, b);
                }
            });
        }
        return y;
    }

    /// <summary>
    /// Batch norm over [N, C, ...]: batch statistics and a running-stat update when training, running statistics
    /// otherwise.
    /// </summary>
    public static Tensor BatchNorm(Tape tape, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar,
        bool training, double momentum, double eps)
    {
        var y = tape.Empty(x.Shape);
        int c = checked((int)gamma.Length);
        if (!training)
        {
            tape.Backend.BatchNormForwardInference(x, gamma, beta, y, runMean, runVar, eps);
            return y;
        }
        var mean = tape.Empty(c);
        var invStd = tape.Empty(c);
        tape.Backend.BatchNormForwardTraining(x, gamma, beta, y, runMean, runVar, mean, invStd, momentum, eps);
        RecordBatchNormBackward(tape, x, y, gamma, beta, mean, invStd, relu: false);
        return y;
    }

    /// <summary>
    /// ReLU(BatchNorm(x)) as one op: one pass forward, and the ReLU's gate applied inside the batch-norm backward.
    /// The batch-norm output is never materialised, which saves a full activation per layer.
    /// </summary>
    public static Tensor BatchNormRelu(Tape tape, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar,
        bool training, double momentum, double eps)
    {
        if (!training)
        {
            var z = tape.Empty(x.Shape);
            tape.Backend.BatchNormForwardInference(x, gamma, beta, z, runMean, runVar, eps);
            tape.Backend.ReluForward(z, z);
            return z;
        }
        var y = tape.Empty(x.Shape);
        int c = checked((int)gamma.Length);
        var mean = tape.Empty(c);
        var invStd = tape.Empty(c);
        tape.Backend.BatchNormReluForwardTraining(x, gamma, beta, y, runMean, runVar, mean, invStd, momentum, eps);
        RecordBatchNormBackward(tape, x, y, gamma, beta, mean, invStd, relu: true);
        return y;
    }

    /// <summary>
    /// ReLU(BatchNorm(x) + residual) as one op, the end of a residual block: neither the batch-norm output nor the
    /// sum is stored, and the backward gates dy once for both the residual and the batch norm.
    /// </summary>
    public static Tensor BatchNormAddRelu(Tape tape, Tensor x, Tensor residual, Tensor gamma, Tensor beta,
        Tensor runMean, Tensor runVar, bool training, double momentum, double eps)
    {
        if (residual.Shape != x.Shape)
        {
            throw new ArgumentException(
                $"batch norm + add + relu: residual {residual.Describe()} does not match {x.Describe()}");
        }
        if (!training)
        {
            var z = tape.Empty(x.Shape);
            tape.Backend.BatchNormForwardInference(x, gamma, beta, z, runMean, runVar, eps);
            tape.Backend.Add(z, residual, z);
            tape.Backend.ReluForward(z, z);
            return z;
        }
        var y = tape.Empty(x.Shape);
        int c = checked((int)gamma.Length);
        var mean = tape.Empty(c);
        var invStd = tape.Empty(c);
        tape.Backend.BatchNormAddReluForwardTraining(x, residual, gamma, beta, y, runMean, runVar, mean, invStd,
            momentum, eps);
        RecordBatchNormBackward(tape, x, y, gamma, beta, mean, invStd, relu: true, residual);
        return y;
    }

    /// <summary>
    /// The backward of training-mode batch norm (optionally fused with the ReLU after it, and with a residual added
    /// before the ReLU). The backend's backward always produces dx, dgamma and dbeta; those that need no gradient go
    /// to scratch tensors.
    /// </summary>
    private static void RecordBatchNormBackward(Tape tape, Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor mean,
        Tensor invStd, bool relu, Tensor? residual = null)
    {
        if (!tape.Needs(x, gamma, beta) && !(residual != null && tape.Needs(residual)))
        {
            return;
        }
        int c = checked((int)gamma.Length);
        string op = residual != null ? "batchnorm_add_relu" : relu ? "batchnorm_relu" : "batchnorm";
        tape.Record(op, y, () =>
        {
            var (dx, b) = x.RequiresGrad ? tape.GradOf(x) : (tape.Empty(x.Shape), 0f);
            var dGamma = gamma.RequiresGrad ? ZeroedGradOf(tape, gamma) : Scratch(tape, c);
            var dBeta = beta.RequiresGrad ? ZeroedGradOf(tape, beta) : Scratch(tape, c);
            if (residual != null)
            {
                var (dr, rb) = residual.RequiresGrad ? tape.GradOf(residual) : (null, 0f);
                tape.Backend.BatchNormAddReluBackward(x, y, y.Grad!, gamma, mean, invStd, dx, dGamma, dBeta, b, dr,
                    rb);
            }
            else if (relu)
            {
                tape.Backend.BatchNormReluBackward(x, y, y.Grad!, gamma, mean, invStd, dx, dGamma, dBeta, b);
            }
            else
            {
                tape.Backend.BatchNormBackward(x, y.Grad!, gamma, mean, invStd, dx, dGamma, dBeta, b);
            }
        });
    }

    /// <summary>The gradient of x ready for a backward that only accumulates (zeroed when it is new).</summary>
    private static Tensor ZeroedGradOf(Tape tape, Tensor x)
    {
        var (g, beta) = tape.GradOf(x);
        if (beta == 0f)
        {
            tape.Backend.Fill(g, 0f);
        }
        return g;
    }

    private static Tensor Scratch(Tape tape, int n)
    {
        var t = tape.Empty(n);
        tape.Backend.Fill(t, 0f);
        return t;
    }

    public static Tensor Relu(Tape tape, Tensor x)
    {
        var y = tape.Empty(x.Shape);
        tape.Backend.ReluForward(x, y);
        if (tape.Needs(x))
        {
            tape.Record("relu", y, () =>
            {
                var (dx, b) = tape.GradOf(x);
                tape.Backend.ReluBackward(y, y.Grad!, dx, b);
            });
        }
        return y;
    }

    public static Tensor LeakyRelu(Tape tape, Tensor x, float slope = 0.01f)
    {
        var y = tape.Empty(x.Shape);
        tape.Backend.LeakyReluForward(x, y, slope);
        if (tape.Needs(x))
        {
            tape.Record("leaky_relu", y, () =>
            {
                var (dx, b) = tape.GradOf(x);
                tape.Backend.LeakyReluBackward(x, y.Grad!, dx, slope, b);
            });
        }
        return y;
    }

    public static Tensor AvgPool2d(Tape tape, Tensor x, int kernel, int stride, int pad = 0)
    {
        var p = new PoolGeometry(kernel, stride, pad);
        var y = PoolOutput(tape, "avg_pool2d", x, p);
        tape.Backend.AvgPoolForward(x, y, p);
        if (tape.Needs(x))
        {
            tape.Record("avg_pool2d", y, () =>
            {
                var (dx, b) = tape.GradOf(x);
                tape.Backend.AvgPoolBackward(y.Grad!, dx, p, b);
            });
        }
        return y;
    }

    public static Tensor MaxPool2d(Tape tape, Tensor x, int kernel, int stride, int pad)
    {
        var p = new PoolGeometry(kernel, stride, pad);
        var y = PoolOutput(tape, "max_pool2d", x, p);
        tape.Backend.MaxPoolForward(x, y, p);
        if (tape.Needs(x))
        {
            tape.Record("max_pool2d", y, () =>
            {
                var (dx, b) = tape.GradOf(x);
                tape.Backend.MaxPoolBackward(x, y, y.Grad!, dx, p, b);
            });
        }
        return y;
    }

    private static Tensor PoolOutput(Tape tape, string op, Tensor x, PoolGeometry p)
    {
        if (x.Shape.Rank != 4)
        {
            throw new ArgumentException($"{op}: input {x.Describe()} must be [N, C, H, W]");
        }
        int oh = p.OutSize(x.Shape[2]), ow = p.OutSize(x.Shape[3]);
        if (oh <= 0 || ow <= 0)
        {
            throw new ArgumentException($"{op}: input {x.Describe()} is smaller than the {p.Kernel}x{p.Kernel} window");
        }
        return tape.Empty(x.Shape[0], x.Shape[1], oh, ow);
    }

    /// <summary>[N, C, H, W] -> [N, C], the mean of each plane.</summary>
    public static Tensor GlobalAvgPool(Tape tape, Tensor x)
    {
        if (x.Shape.Rank != 4)
        {
            throw new ArgumentException($"global_avg_pool: input {x.Describe()} must be [N, C, H, W]");
        }
        var y = tape.Empty(x.Shape[0], x.Shape[1]);
        tape.Backend.GlobalAvgPoolForward(x, y);
        if (tape.Needs(x))
        {
            tape.Record("global_avg_pool", y, () =>
            {
                var (dx, b) = tape.GradOf(x);
                tape.Backend.GlobalAvgPoolBackward(y.Grad!, dx, b);
            });
        }
        return y;
    }

    /// <summary>Elementwise a + b of equal shapes (the residual connection).</summary>
    public static Tensor Add(Tape tape, Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape)
        {
            throw new ArgumentException($"add: shapes differ, {a.Describe()} vs {b.Describe()}");
        }
        var y = tape.Empty(a.Shape);
        tape.Backend.Add(a, b, y);
        if (tape.Needs(a, b))
        {
            tape.Record("add", y, () =>
            {
                foreach (var t in new[] { a, b })
                {
                    if (t.RequiresGrad)
                    {
                        var (dt, beta) = tape.GradOf(t);
                        tape.Backend.Accumulate(y.Grad!, dt, beta);
                    }
                }
            });
        }
        return y;
    }

    /// <summary>A view with another shape; its gradient flows back to the source unchanged.</summary>
    public static Tensor Reshape(Tape tape, Tensor x, params int[] dims)
    {
        var y = tape.Own(x.Reshape(dims));
        if (tape.Needs(x))
        {
            tape.Record("reshape", y, () =>
            {
                // A copy, not a view of y's gradient: the tape frees that as soon as this backward returns.
                var (dx, beta) = tape.GradOf(x);
                tape.Backend.Accumulate(y.Grad!, dx, beta);
            });
        }
        return y;
    }
}
