using System.Numerics;

namespace RelReason.Backends.Cpu;

/// <summary>Vectorised inner loops of the memory-bound ops (all take raw pointers and a count).</summary>
internal static unsafe class VectorMath
{
    private static readonly int W = Vector<float>.Count;

    /// <summary>Sum of x and of (x - centre)^2 over n floats, with float lanes reduced into doubles.</summary>
    internal static (double Sum, double SumSq) Moments(float* x, int n, float centre)
    {
        var s = Vector<float>.Zero;
        var q = Vector<float>.Zero;
        var c = new Vector<float>(centre);
        int i = 0;
        for (; i <= n - W; i += W)
        {
            var v = Vector.Load(x + i) - c;
            s += v;
            q += v * v;
        }
        double sum = Vector.Sum(s), sumSq = Vector.Sum(q);
        for (; i < n; i++)
        {
            double v = x[i] - centre;
            sum += v;
            sumSq += v * v;
        }
        return (sum + (double)centre * n, sumSq);
    }

    /// <summary>
    /// Sum of g and of g * (x - centre) over n floats, where g = dy, or dy gated by a ReLU output (g = 0 where
    /// gate &lt;= 0) when <paramref name="gate"/> is not null.
    /// </summary>
    internal static (double SumDy, double SumDyX) DotMoments(float* dy, float* x, float* gate, int n, float centre)
    {
        var s = Vector<float>.Zero;
        var q = Vector<float>.Zero;
        var c = new Vector<float>(centre);
        int i = 0;
        for (; i <= n - W; i += W)
        {
            var g = Vector.Load(dy + i);
            if (gate != null)
            {
                g = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(gate + i), Vector<float>.Zero), g,
                    Vector<float>.Zero);
            }
            s += g;
            q += g * (Vector.Load(x + i) - c);
        }
        double sum = Vector.Sum(s), dot = Vector.Sum(q);
        for (; i < n; i++)
        {
            float g = gate == null || gate[i] > 0f ? dy[i] : 0f;
            sum += g;
            dot += (double)g * (x[i] - centre);
        }
        return (sum, dot);
    }

    /// <summary>y = x * scale + shift (+ residual when not null), optionally followed by ReLU.</summary>
    internal static void ScaleShift(float* x, float* y, int n, float scale, float shift, bool relu,
        float* residual = null)
    {
        var a = new Vector<float>(scale);
        var b = new Vector<float>(shift);
        int i = 0;
        for (; i <= n - W; i += W)
        {
            var v = Vector.Load(x + i) * a + b;
            if (residual != null)
            {
                v += Vector.Load(residual + i);
            }
            Vector.Store(relu ? Vector.Max(v, Vector<float>.Zero) : v, y + i);
        }
        for (; i < n; i++)
        {
            float v = x[i] * scale + shift;
            v = residual != null ? v + residual[i] : v;
            y[i] = relu ? MathF.Max(v, 0f) : v;
        }
    }

    /// <summary>dx = (y &gt; 0 ? dy : slope * dy) + beta * dx, where the test reads <paramref name="gate"/>.</summary>
    internal static void GateBackward(float* gate, float* dy, float* dx, int n, float slope, float beta)
    {
        var sl = new Vector<float>(slope);
        var bt = new Vector<float>(beta);
        int i = 0;
        for (; i <= n - W; i += W)
        {
            var g = Vector.Load(dy + i);
            var v = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(gate + i), Vector<float>.Zero), g, g * sl);
            Vector.Store(beta == 0f ? v : v + bt * Vector.Load(dx + i), dx + i);
        }
        for (; i < n; i++)
        {
            float v = gate[i] > 0f ? dy[i] : dy[i] * slope;
            dx[i] = beta == 0f ? v : v + beta * dx[i];
        }
    }

    /// <summary>y = x &gt; 0 ? x : slope * x.</summary>
    internal static void Leaky(float* x, float* y, int n, float slope)
    {
        var sl = new Vector<float>(slope);
        int i = 0;
        for (; i <= n - W; i += W)
        {
            var v = Vector.Load(x + i);
            Vector.Store(Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * sl), y + i);
        }
        for (; i < n; i++)
        {
            y[i] = x[i] > 0f ? x[i] : x[i] * slope;
        }
    }

    /// <summary>
    /// dx = k1 * g + k2 * x + k3 (+ beta * dx): the batch-norm input gradient in affine form, g as in
    /// <see cref="DotMoments"/>.
    /// </summary>
    internal static void Affine3(float* dy, float* x, float* gate, float* dx, int n, float k1, float k2, float k3,
        float beta)
    {
        var a = new Vector<float>(k1);
        var b = new Vector<float>(k2);
        var c = new Vector<float>(k3);
        var bt = new Vector<float>(beta);
        int i = 0;
        for (; i <= n - W; i += W)
        {
            var g = Vector.Load(dy + i);
            if (gate != null)
            {
                g = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(gate + i), Vector<float>.Zero), g,
                    Vector<float>.Zero);
            }
            var v = g * a + Vector.Load(x + i) * b + c;
            Vector.Store(beta == 0f ? v : v + bt * Vector.Load(dx + i), dx + i);
        }
        for (; i < n; i++)
        {
            float g = gate == null || gate[i] > 0f ? dy[i] : 0f;
            float v = k1 * g + k2 * x[i] + k3;
            dx[i] = beta == 0f ? v : v + beta * dx[i];
        }
    }
}
