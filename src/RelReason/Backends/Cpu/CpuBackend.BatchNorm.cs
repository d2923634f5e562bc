using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Batch norm over x viewed as [N, C, S]. Two layouts get their own loops: S > 1 (2-d: each (n, c) plane is
    // contiguous, reduced with vector lanes) and S = 1 (1-d: a row holds all channels, so rows are added as
    // vectors). Sums of float lanes are moved into double per plane (or every 256 rows): a channel of 1,024 views of
    // 32x32 holds a million values, and float accumulation alone would lose the digits the reference checks.

    private const int RowBlock = 256;

    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps) =>
        ForwardTraining(x, gamma, betaParam, y, runMean, runVar, saveMean, saveInvStd, momentum, eps, relu: false);

    public void BatchNormReluForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps) =>
        ForwardTraining(x, gamma, betaParam, y, runMean, runVar, saveMean, saveInvStd, momentum, eps, relu: true);

    public void BatchNormAddReluForwardTraining(Tensor x, Tensor residual, Tensor gamma, Tensor betaParam, Tensor y,
        Tensor runMean, Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps)
    {
        ShapeCheck.SameLength("batch norm + add + relu", x, residual);
        ForwardTraining(x, gamma, betaParam, y, runMean, runVar, saveMean, saveInvStd, momentum, eps, relu: true,
            residual);
    }

    private void ForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps, bool relu,
        Tensor? residual = null)
    {
        var (n, c, s) = ShapeCheck.ChannelLayout("batch norm", x, checked((int)gamma.Length));
        CheckChannels("batch norm", c, betaParam, runMean, runVar, saveMean, saveInvStd);
        ShapeCheck.SameLength("batch norm", x, y);
        long count = (long)n * s;
        float* px = Ptr(x);
        var mean = ChannelSums(px, null, null, n, c, s, null).First;
        var centre = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            mean[ch] /= count;
            centre[ch] = (float)mean[ch];
        }
        // Second pass about the float mean: var = E[(x - m)^2] - (mean - m)^2 with m the rounded mean.
        var sq = ChannelSums(px, null, null, n, c, s, centre).Second;
        float* pMean = Ptr(saveMean), pInv = Ptr(saveInvStd), pRunM = Ptr(runMean), pRunV = Ptr(runVar);
        for (int ch = 0; ch < c; ch++)
        {
            double shift = mean[ch] - centre[ch];
            double variance = Math.Max(0, sq[ch] / count - shift * shift);
            pMean[ch] = centre[ch];
            pInv[ch] = (float)(1.0 / Math.Sqrt(variance + eps));
            double unbiased = count > 1 ? variance * count / (count - 1) : variance;
            pRunM[ch] = (float)((1 - momentum) * pRunM[ch] + momentum * mean[ch]);
            pRunV[ch] = (float)((1 - momentum) * pRunV[ch] + momentum * unbiased);
        }
        Normalize(px, Ptr(y), n, c, s, pMean, pInv, Ptr(gamma), Ptr(betaParam), relu,
            residual == null ? null : Ptr(residual));
    }

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, double eps)
    {
        var (n, c, s) = ShapeCheck.ChannelLayout("batch norm (eval)", x, checked((int)gamma.Length));
        CheckChannels("batch norm (eval)", c, betaParam, runMean, runVar);
        ShapeCheck.SameLength("batch norm (eval)", x, y);
        var inv = new float[c];
        float* pRunV = Ptr(runVar);
        for (int ch = 0; ch < c; ch++)
        {
            inv[ch] = (float)(1.0 / Math.Sqrt(pRunV[ch] + eps));
        }
        fixed (float* pInv = inv)
        {
            Normalize(Ptr(x), Ptr(y), n, c, s, Ptr(runMean), pInv, Ptr(gamma), Ptr(betaParam), relu: false);
        }
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
        Tensor dGamma, Tensor dBetaParam, float dxBeta) =>
        Backward(x, null, dy, gamma, saveMean, saveInvStd, dx, dGamma, dBetaParam, dxBeta);

    public void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta)
    {
        ShapeCheck.SameLength("batch norm + relu backward", x, y);
        Backward(x, y, dy, gamma, saveMean, saveInvStd, dx, dGamma, dBetaParam, dxBeta);
    }

    public void BatchNormAddReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor saveMean,
        Tensor saveInvStd, Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta, Tensor? dResidual,
        float residualBeta)
    {
        ShapeCheck.SameLength("batch norm + add + relu backward", x, y);
        if (dResidual != null)
        {
            // The residual's gradient is the ReLU backward itself.
            ReluBackward(y, dy, dResidual, residualBeta);
        }
        Backward(x, y, dy, gamma, saveMean, saveInvStd, dx, dGamma, dBetaParam, dxBeta);
    }

    /// <summary>The batch-norm backward; with a ReLU output <paramref name="y"/>, dy is gated by y &gt; 0
    /// first.</summary>
    private void Backward(Tensor x, Tensor? y, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dGamma, Tensor dBetaParam, float dxBeta)
    {
        var (n, c, s) = ShapeCheck.ChannelLayout("batch norm backward", x, checked((int)gamma.Length));
        CheckChannels("batch norm backward", c, saveMean, saveInvStd, dGamma, dBetaParam);
        ShapeCheck.SameLength("batch norm backward", x, dy);
        ShapeCheck.SameLength("batch norm backward", x, dx);
        float* px = Ptr(x), pdy = Ptr(dy), pMean = Ptr(saveMean), pInv = Ptr(saveInvStd), pg = Ptr(gamma);
        float* gate = y == null ? null : Ptr(y);
        var centre = new Span<float>(pMean, c).ToArray();
        var (sumDy, sumDyXc) = ChannelSums(px, pdy, gate, n, c, s, centre);
        float* pdg = Ptr(dGamma), pdb = Ptr(dBetaParam);
        long count = (long)n * s;
        var k1 = new float[c];
        var k2 = new float[c];
        var k3 = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double inv = pInv[ch], g = pg[ch];
            double sumDyXhat = sumDyXc[ch] * inv;
            pdg[ch] += (float)sumDyXhat;
            pdb[ch] += (float)sumDy[ch];
            // dx = gamma * inv * (dy - mean(dy) - xhat * mean(dy * xhat)), written as dx = k1 * dy + k2 * x + k3.
            double meanDy = sumDy[ch] / count, meanDyXhat = sumDyXhat / count;
            k1[ch] = (float)(g * inv);
            k2[ch] = (float)(-g * inv * inv * meanDyXhat);
            k3[ch] = (float)(g * inv * (-meanDy + inv * pMean[ch] * meanDyXhat));
        }
        float* pdx = Ptr(dx);
        if (s == 1)
        {
            _parallel.For(n, (r0, r1, _) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    float* gy = pdy + r * c, xi = px + r * c, gx = pdx + r * c, gt = gate == null ? null : gate + r * c;
                    for (int ch = 0; ch < c; ch++)
                    {
                        float g = gt == null || gt[ch] > 0f ? gy[ch] : 0f;
                        float v = k1[ch] * g + k2[ch] * xi[ch] + k3[ch];
                        gx[ch] = dxBeta == 0f ? v : v + dxBeta * gx[ch];
                    }
                }
            }, 64);
            return;
        }
        _parallel.For((long)n * c, (q0, q1, _) =>
        {
            for (long q = q0; q < q1; q++)
            {
                int ch = (int)(q % c);
                VectorMath.Affine3(pdy + q * s, px + q * s, gate == null ? null : gate + q * s, pdx + q * s, s, k1[ch],
                    k2[ch], k3[ch], dxBeta);
            }
        }, Math.Max(1, 4096 / s));
    }

    private static void CheckChannels(string op, int c, params Tensor[] perChannel)
    {
        foreach (var t in perChannel)
        {
            ShapeCheck.Elements(op, "per-channel tensor", t, c);
        }
    }

    /// <summary>
    /// Per-channel reductions in a fixed order per worker, then reduced in worker order (deterministic).
    /// Without dy: First = sum x, Second = sum (x - centre)^2. With dy: First = sum dy, Second = sum dy (x - centre).
    /// </summary>
    private (double[] First, double[] Second) ChannelSums(float* x, float* dy, float* gate, int n, int c, int s,
        float[]? centre)
    {
        int workers = _parallel.Workers(n);
        var p1 = new double[workers * c];
        var p2 = new double[workers * c];
        var ctr = centre ?? new float[c];
        if (s == 1)
        {
            _parallel.For(n, (r0, r1, w) =>
                RowSums(x, dy, gate, r0, r1, c, ctr, p1.AsSpan(w * c, c), p2.AsSpan(w * c, c)));
        }
        else
        {
            _parallel.For(n, (n0, n1, w) =>
            {
                for (long img = n0; img < n1; img++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        long o = (img * c + ch) * s;
                        var (a, b) = dy == null
                            ? VectorMath.Moments(x + o, s, ctr[ch])
                            : VectorMath.DotMoments(dy + o, x + o, gate == null ? null : gate + o, s, ctr[ch]);
                        p1[w * c + ch] += a;
                        p2[w * c + ch] += b;
                    }
                }
            });
        }
        var first = new double[c];
        var second = new double[c];
        for (int w = 0; w < workers; w++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                first[ch] += p1[w * c + ch];
                second[ch] += p2[w * c + ch];
            }
        }
        return (first, second);
    }

    /// <summary>The S = 1 layout: rows of C channels added as vectors, flushed to double every block of rows.</summary>
    private static void RowSums(float* x, float* dy, float* gate, long r0, long r1, int c, float[] centre,
        Span<double> first, Span<double> second)
    {
        var a = new float[c];
        var b = new float[c];
        var diff = new float[c];
        var gated = new float[c];
        for (long r = r0; r < r1; r++)
        {
            var xr = new ReadOnlySpan<float>(x + r * c, c);
            TensorPrimitives.Subtract(xr, centre, diff);
            if (dy == null)
            {
                TensorPrimitives.Add(a, xr, a);
                TensorPrimitives.MultiplyAdd(diff, diff, b, b);
            }
            else
            {
                ReadOnlySpan<float> gr = new(dy + r * c, c);
                if (gate != null)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        gated[ch] = gate[r * c + ch] > 0f ? gr[ch] : 0f;
                    }
                    gr = gated;
                }
                TensorPrimitives.Add(a, gr, a);
                TensorPrimitives.MultiplyAdd(gr, diff, b, b);
            }
            if ((r - r0) % RowBlock == RowBlock - 1 || r == r1 - 1)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    first[ch] += a[ch];
                    second[ch] += b[ch];
                }
                Array.Clear(a);
                Array.Clear(b);
            }
        }
    }

    /// <summary>y = (x - mean) * inv * gamma + beta per channel.</summary>
    private void Normalize(float* x, float* y, int n, int c, int s, float* mean, float* inv, float* gamma,
        float* beta, bool relu, float* residual = null)
    {
        var scale = new float[c];
        var shift = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            scale[ch] = inv[ch] * gamma[ch];
            shift[ch] = beta[ch] - mean[ch] * scale[ch];
        }
        if (s == 1)
        {
            _parallel.For(n, (r0, r1, _) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    var row = new Span<float>(y + r * c, c);
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(x + r * c, c), scale, shift, row);
                    if (residual != null)
                    {
                        TensorPrimitives.Add(row, new ReadOnlySpan<float>(residual + r * c, c), row);
                    }
                    if (relu)
                    {
                        TensorPrimitives.Max(row, 0f, row);
                    }
                }
            }, 64);
            return;
        }
        _parallel.For((long)n * c, (q0, q1, _) =>
        {
            for (long q = q0; q < q1; q++)
            {
                int ch = (int)(q % c);
                VectorMath.ScaleShift(x + q * s, y + q * s, s, scale[ch], shift[ch], relu,
                    residual == null ? null : residual + q * s);
            }
        }, Math.Max(1, 4096 / s));
    }
}
