using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Tensors;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Autograd;

/// <summary>Finite-difference checks of every op with a backward, on tiny shapes, on the CPU backend.</summary>
public class OpGradientTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    [TestCase(3, 1, 1)]
    [TestCase(3, 2, 1)]
    [TestCase(1, 2, 0)]
    [TestCase(7, 2, 3)]
    public void Conv2d(int kernel, int stride, int pad)
    {
        int n = 2, cin = 2, cout = 3, h = 7, w = 6;
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.Conv2d(t, x[0], x[1], stride, pad),
            [[n, cin, h, w], [cout, cin, kernel, kernel]],
            [Random(1, n * cin * h * w), Random(2, cout * cin * kernel * kernel, 0.5f)]);
    }

    [TestCase(4, false)]
    [TestCase(1, false)]
    [TestCase(4, true)]
    [TestCase(1, true)]
    public void BatchNormTraining(int spatial, bool withRelu)
    {
        int n = 3, c = 2;
        int[] shape = spatial == 1 ? [n, c] : [n, c, 2, 2];
        GradCheck.CheckShapes(_cpu, (t, x) =>
        {
            var rm = t.Constant(new float[c], c);
            var rv = t.Constant([1f, 1f], c);
            return withRelu
                ? Ops.BatchNormRelu(t, x[0], x[1], x[2], rm, rv, training: true, 0.1, 1e-5)
                : Ops.BatchNorm(t, x[0], x[1], x[2], rm, rv, training: true, 0.1, 1e-5);
        }, [shape, [c], [c]], [Random(3, n * c * spatial, 2f), [1.5f, 0.7f], [0.1f, -0.3f]]);
    }

    [TestCase(16)]
    [TestCase(1)]
    public void FusedBatchNormReluEqualsTheTwoOps(int spatial)
    {
        int n = 5, c = 3;
        int[] shape = spatial == 1 ? [n, c] : [n, c, 4, 4];
        var xv = Random(21, n * c * spatial, 2f);
        var dyv = Random(22, xv.Length);
        (float[] Y, float[] Dx, float[] Dg) Run(bool fused)
        {
            using var tape = new Tape(_cpu);
            var x = tape.Constant(xv, shape);
            x.RequiresGrad = true;
            var g = tape.Constant([1.2f, 0.8f, 1f], c);
            var b = tape.Constant([0.1f, -0.2f, 0.3f], c);
            g.RequiresGrad = true;
            var rm = tape.Constant(new float[c], c);
            var rv = tape.Constant([1f, 1f, 1f], c);
            var y = fused
                ? Ops.BatchNormRelu(tape, x, g, b, rm, rv, true, 0.1, 1e-5)
                : Ops.Relu(tape, Ops.BatchNorm(tape, x, g, b, rm, rv, true, 0.1, 1e-5));
            y.Grad = tape.Constant(dyv, shape);
            tape.Backward();
            return (ToArray(_cpu, y), ToArray(_cpu, x.Grad!), ToArray(_cpu, g.Grad!));
        }
        var fusedResult = Run(true);
        var plain = Run(false);
        Assert.That(fusedResult.Y, Is.EqualTo(plain.Y));
        Assert.That(fusedResult.Dx, Is.EqualTo(plain.Dx));
        Assert.That(fusedResult.Dg, Is.EqualTo(plain.Dg));
    }

    [Test]
    public void BatchNormAddReluTraining()
    {
        int n = 3, c = 2;
        GradCheck.CheckShapes(_cpu, (t, x) =>
        {
            var rm = t.Constant(new float[c], c);
            var rv = t.Constant([1f, 1f], c);
            return Ops.BatchNormAddRelu(t, x[0], x[3], x[1], x[2], rm, rv, training: true, 0.1, 1e-5);
        }, [[n, c, 2, 2], [c], [c], [n, c, 2, 2]],
            [Random(3, n * c * 4, 2f), [1.5f, 0.7f], [0.1f, -0.3f], Random(4, n * c * 4, 1f, 0.2f)]);
    }

    [Test]
    public void FusedBatchNormAddReluEqualsTheThreeOps()
    {
        int n = 5, c = 3;
        int[] shape = [n, c, 4, 4];
        var xv = Random(31, n * c * 16, 2f);
        var rv0 = Random(32, xv.Length);
        var dyv = Random(33, xv.Length);
        (float[] Y, float[] Dx, float[] Dr, float[] Dg) Run(bool fused)
        {
            using var tape = new Tape(_cpu);
            var x = tape.Constant(xv, shape);
            var r = tape.Constant(rv0, shape);
            x.RequiresGrad = r.RequiresGrad = true;
            var g = tape.Constant([1.2f, 0.8f, 1f], c);
            var b = tape.Constant([0.1f, -0.2f, 0.3f], c);
            g.RequiresGrad = true;
            var rm = tape.Constant(new float[c], c);
            var rv = tape.Constant([1f, 1f, 1f], c);
            var y = fused
                ? Ops.BatchNormAddRelu(tape, x, r, g, b, rm, rv, true, 0.1, 1e-5)
                : Ops.Relu(tape, Ops.Add(tape, Ops.BatchNorm(tape, x, g, b, rm, rv, true, 0.1, 1e-5), r));
            y.Grad = tape.Constant(dyv, shape);
            tape.Backward();
            return (ToArray(_cpu, y), ToArray(_cpu, x.Grad!), ToArray(_cpu, r.Grad!), ToArray(_cpu, g.Grad!));
        }
        var fusedResult = Run(true);
        var plain = Run(false);
        Assert.That(fusedResult.Y, Is.EqualTo(plain.Y));
        Assert.That(fusedResult.Dx, Is.EqualTo(plain.Dx));
        Assert.That(fusedResult.Dr, Is.EqualTo(plain.Dr));
        Assert.That(fusedResult.Dg, Is.EqualTo(plain.Dg));
    }

    [Test]
    public void ReluAndLeakyRelu()
    {
        // Values kept away from 0 so that the finite difference never straddles the kink.
        var x = Random(4, 12).Select(v => v + MathF.Sign(v) * 0.1f).ToArray();
        GradCheck.Check(_cpu, (t, a) => Ops.Relu(t, a[0]), x);
        GradCheck.Check(_cpu, (t, a) => Ops.LeakyRelu(t, a[0], 0.01f), x);
    }

    [Test]
    public void Pools()
    {
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.AvgPool2d(t, x[0], 2, 2), [[2, 2, 4, 6]], [Random(5, 96)]);
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.GlobalAvgPool(t, x[0]), [[2, 3, 3, 2]], [Random(6, 36)]);
        // Distinct, well separated values so that the arg max is stable under the finite-difference step.
        var distinct = Enumerable.Range(0, 2 * 2 * 5 * 5).Select(i => (float)((i * 37) % 100) * 0.1f).ToArray();
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.MaxPool2d(t, x[0], 3, 2, 1), [[2, 2, 5, 5]], [distinct]);
    }

    [Test]
    public void LinearAddReshape()
    {
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.Linear(t, x[0], x[1], x[2]), [[4, 3], [5, 3], [5]],
            [Random(7, 12), Random(8, 15), Random(9, 5)]);
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.Add(t, Ops.Reshape(t, x[0], 2, 3), x[1]), [[6], [2, 3]],
            [Random(10, 6), Random(11, 6)]);
    }

    [TestCase(Aggregation.Cat)]
    [TestCase(Aggregation.Sum)]
    [TestCase(Aggregation.Mean)]
    [TestCase(Aggregation.Max)]
    public void PairCombine(Aggregation agg)
    {
        var pairs = PairIndex.Build(3, 3);
        // A permutation of well separated values, so that no max flips within the finite-difference step.
        var f = Enumerable.Range(0, 36).Select(i => ((i * 17) % 36 - 18) * 0.1f).ToArray();
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.PairCombine(t, x[0], pairs, agg), [[9, 4]], [f]);
    }

    [Test]
    public void PairLinear()
    {
        var pairs = PairIndex.Build(3, 4);
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.PairLinear(t, x[0], x[1], x[2], pairs), [[12, 3], [5, 6], [5]],
            [Random(13, 36), Random(14, 30), Random(15, 5)]);
    }

    [TestCase(BinaryLossKind.Bce)]
    [TestCase(BinaryLossKind.Focal)]
    public void BinaryLosses(BinaryLossKind kind)
    {
        var targets = new float[] { 1, 0, 1, 0, 1, 0 };
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.BinaryLoss(t, x[0], t.Constant(targets, 6), kind), [[6]],
            [[2.5f, -1.5f, -0.3f, 0.7f, 0.05f, 3f]], weights: [1f, 0f]);
    }

    [Test]
    public void CrossEntropy()
    {
        GradCheck.CheckShapes(_cpu, (t, x) => Ops.CrossEntropy(t, x[0], t.Constant([2f, 0f, 1f], 3)), [[3, 4]],
            [Random(16, 12, 2f)], weights: [1f, 0f]);
    }
}
