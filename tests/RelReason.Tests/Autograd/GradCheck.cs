using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Tensors;

namespace RelReason.Tests.Autograd;

/// <summary>
/// Central finite differences against the tape's gradients. The scalar probed is L = sum(out * R) with a fixed
/// random R, so every output element contributes. The op runs in float32, so the step h trades truncation error
/// (O(h^2)) against rounding (about 1e-7 * |L| / h): h = 1e-2 keeps both near 1e-4 relative for the O(1) values
/// used here, and the tolerance below is a few times that.
/// </summary>
internal static class GradCheck
{
    internal const double Step = 1e-2;
    internal const double RelTol = 2e-2;
    internal const double AbsTol = 2e-3;

    /// <summary>Checks d L / d input for every input (all elements, inputs are kept tiny).</summary>
    internal static void Check(IBackend backend, Func<Tape, Tensor[], Tensor> op, params float[][] inputValues)
    {
        CheckShapes(backend, op, inputValues.Select(v => new[] { v.Length }).ToArray(), inputValues);
    }

    /// <summary>
    /// As <see cref="Check"/> with shapes. <paramref name="weights"/> fixes R; losses use R = (1, 0) because their
    /// output is (mean loss, correct count) and their backward seeds d(mean loss) itself.
    /// </summary>
    internal static void CheckShapes(IBackend backend, Func<Tape, Tensor[], Tensor> op, int[][] shapes,
        float[][] inputValues, float[]? weights = null)
    {
        var seed = new Random(99);
        float[]? r = weights;
        double Loss(float[][] values, bool backward, out float[][] grads)
        {
            using var tape = new Tape(backend, record: backward);
            var inputs = new Tensor[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                inputs[i] = tape.Constant(values[i], shapes[i]);
                inputs[i].RequiresGrad = backward;
            }
            var y = op(tape, inputs);
            var yv = TestTensors.ToArray(backend, y);
            r ??= yv.Select(_ => (float)(seed.NextDouble() * 2 - 1)).ToArray();
            double l = 0;
            for (int i = 0; i < yv.Length; i++)
            {
                l += (double)yv[i] * r[i];
            }
            grads = [];
            if (backward)
            {
                y.Grad = tape.Constant(r, y.Shape.Dims.ToArray());
                tape.Backward();
                grads = inputs.Select(t => t.Grad == null ? new float[t.Length] : TestTensors.ToArray(backend, t.Grad))
                    .ToArray();
            }
            return l;
        }

        Loss(inputValues, true, out var analytic);
        for (int i = 0; i < inputValues.Length; i++)
        {
            for (int j = 0; j < inputValues[i].Length; j++)
            {
                var plus = inputValues.Select(v => (float[])v.Clone()).ToArray();
                var minus = inputValues.Select(v => (float[])v.Clone()).ToArray();
                plus[i][j] += (float)Step;
                minus[i][j] -= (float)Step;
                double numeric = (Loss(plus, false, out _) - Loss(minus, false, out _)) / (2 * Step);
                double a = analytic[i][j];
                Assert.That(a, Is.EqualTo(numeric).Within(AbsTol + RelTol * Math.Abs(numeric)),
                    $"input {i} element {j}: analytic {a}, numeric {numeric}");
            }
        }
    }
}
