using RelReason.Tensors;

namespace RelReason.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Batch norm over x viewed as [N, C, S]. Statistics are accumulated in double per channel: with 1,024 views of
    // 32x32 a channel sums a million values, where float accumulation would lose digits the fixtures check.

    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor betaParam, Tensor y, Tensor runMean,
        Tensor runVar, Tensor saveMean, Tensor saveInvStd, double momentum, double eps)
    {
        var (n, c, s) = ShapeCheck.ChannelLayout("batch norm", x, checked((int)gamma.Length));
        CheckChannels("batch norm", c, betaParam, runMean, runVar, saveMean, saveInvStd);
        ShapeCheck.SameLength("batch norm", x, y);
        long count = (long)n * s;
        var mean = new double[c];
        var variance = new double[c];
        ChannelMoments(Ptr(x), n, c, s, mean, variance);
        float* pMean = Ptr(saveMean), pInv = Ptr(saveInvStd), pRunM = Ptr(runMean), pRunV = Ptr(runVar);
        for (int ch = 0; ch < c; ch++)
        {
            pMean[ch] = (float)mean[ch];
            pInv[ch] = (float)(1.0 / Math.Sqrt(variance[ch] + eps));
            double unbiased = count > 1 ? variance[ch] * count / (count - 1) : variance[ch];
            pRunM[ch] = (float)((1 - momentum) * pRunM[ch] + momentum * mean[ch]);
            pRunV[ch] = (float)((1 - momentum) * pRunV[ch] + momentum * unbiased);
        }
        Normalize(Ptr(x), Ptr(y), n, c, s, pMean, pInv, Ptr(gamma), Ptr(betaParam));
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
            Normalize(Ptr(x), Ptr(y), n, c, s, Ptr(runMean), pInv, Ptr(gamma), Ptr(betaParam));
        }
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
        Tensor dGamma, Tensor dBetaParam, float dxBeta)
    {
        var (n, c, s) = ShapeCheck.ChannelLayout("batch norm backward", x, checked((int)gamma.Length));
        CheckChannels("batch norm backward", c, saveMean, saveInvStd, dGamma, dBetaParam);
        ShapeCheck.SameLength("batch norm backward", x, dy);
        ShapeCheck.SameLength("batch norm backward", x, dx);
        float* px = Ptr(x), pdy = Ptr(dy), pdx = Ptr(dx), pMean = Ptr(saveMean), pInv = Ptr(saveInvStd);
        float* pg = Ptr(gamma);
        // sumDy[c] = sum dy; sumDyXhat[c] = sum dy * xhat
        var sumDy = new double[c];
        var sumDyXhat = new double[c];
        ChannelDotProducts(px, pdy, n, c, s, pMean, pInv, sumDy, sumDyXhat);
        float* pdg = Ptr(dGamma), pdb = Ptr(dBetaParam);
        long count = (long)n * s;
        var k1 = new float[c];
        var k2 = new float[c];
        var k3 = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            pdg[ch] += (float)sumDyXhat[ch];
            pdb[ch] += (float)sumDy[ch];
            // dx = gamma * inv * (dy - mean(dy) - xhat * mean(dy * xhat)), written as dx = k1 * dy + k2 * x + k3.
            double inv = pInv[ch], g = pg[ch];
            double meanDy = sumDy[ch] / count, meanDyXhat = sumDyXhat[ch] / count;
            k1[ch] = (float)(g * inv);
            k2[ch] = (float)(-g * inv * inv * meanDyXhat);
            k3[ch] = (float)(g * inv * (-meanDy + inv * pMean[ch] * meanDyXhat));
        }
        _parallel.For((long)n * c, (r0, r1, _) =>
        {
            for (long r = r0; r < r1; r++)
            {
                int ch = (int)(r % c);
                long o = r * s;
                float a = k1[ch], b = k2[ch], d = k3[ch];
                for (int i = 0; i < s; i++)
                {
                    float v = a * pdy[o + i] + b * px[o + i] + d;
                    pdx[o + i] = dxBeta == 0f ? v : v + dxBeta * pdx[o + i];
                }
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

    /// <summary>Per-channel mean and biased variance (two passes, double accumulators).</summary>
    private void ChannelMoments(float* x, int n, int c, int s, double[] mean, double[] variance)
    {
        ChannelSums(x, null, n, c, s, null, null, mean, null);
        long count = (long)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            mean[ch] /= count;
        }
        var centred = new double[c];
        ChannelSums(x, null, n, c, s, mean, null, centred, variance);
        for (int ch = 0; ch < c; ch++)
        {
            variance[ch] /= count;
        }
    }

    private void ChannelDotProducts(float* x, float* dy, int n, int c, int s, float* mean, float* inv,
        double[] sumDy, double[] sumDyXhat)
    {
        var m = new double[c];
        var iv = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            m[ch] = mean[ch];
            iv[ch] = inv[ch];
        }
        ChannelSums(x, dy, n, c, s, m, iv, sumDy, sumDyXhat);
    }

    /// <summary>
    /// Channel reductions over [N, C, S] in a fixed order per worker, then reduced in worker order.
    /// Without dy: first = sum (x - centre), second = sum (x - centre)^2 (centre may be null = 0).
    /// With dy: first = sum dy, second = sum dy * (x - centre) * inv.
    /// </summary>
    private void ChannelSums(float* x, float* dy, int n, int c, int s, double[]? centre, double[]? inv,
        double[] first, double[]? second)
    {
        int workers = _parallel.Workers(n);
        var p1 = new double[workers * c];
        var p2 = new double[workers * c];
        _parallel.For(n, (n0, n1, w) =>
        {
            for (long img = n0; img < n1; img++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    long o = (img * c + ch) * s;
                    double ctr = centre?[ch] ?? 0.0;
                    double a = 0, b = 0;
                    if (dy == null)
                    {
                        for (int i = 0; i < s; i++)
                        {
                            double d = x[o + i] - ctr;
                            a += d;
                            b += d * d;
                        }
                    }
                    else
                    {
                        double scale = inv![ch];
                        for (int i = 0; i < s; i++)
                        {
                            double g = dy[o + i];
                            a += g;
                            b += g * (x[o + i] - ctr) * scale;
                        }
                    }
                    p1[w * c + ch] += a;
                    p2[w * c + ch] += b;
                }
            }
        });
        for (int w = 0; w < workers; w++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                first[ch] += p1[w * c + ch];
                if (second != null)
                {
                    second[ch] += p2[w * c + ch];
                }
            }
        }
    }

    /// <summary>y = (x - mean) * inv * gamma + beta per channel.</summary>
    private void Normalize(float* x, float* y, int n, int c, int s, float* mean, float* inv, float* gamma,
        float* beta)
    {
        _parallel.For((long)n * c, (r0, r1, _) =>
        {
            for (long r = r0; r < r1; r++)
            {
                int ch = (int)(r % c);
                float scale = inv[ch] * gamma[ch];
                float shift = beta[ch] - mean[ch] * scale;
                long o = r * s;
                for (int i = 0; i < s; i++)
                {
                    y[o + i] = x[o + i] * scale + shift;
                }
            }
        }, Math.Max(1, 4096 / s));
    }
}
