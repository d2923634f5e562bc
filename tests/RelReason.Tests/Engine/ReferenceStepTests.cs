using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Tests.Reference;
using RelReason.Training;

namespace RelReason.Tests.Engine;

/// <summary>
/// One relational-reasoning step of the engine against PyTorch's numbers for the same weights and views
/// (tests/reference): features, logits, loss, every gradient, running statistics and every parameter after Adam.
/// </summary>
public class ReferenceStepTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    [TestCase("conv4_c1_bce")]
    [TestCase("conv4_c1_focal")]
    [TestCase("conv4_c3_bce")]
    [TestCase("conv4_c3_focal")]
    public void Conv4StepMatchesPyTorch(string name) =>
        CheckStep(_cpu, Fixture.LoadNamed(name), SplitFirstLayer: true);

    [Test]
    public void ExplicitPairsGiveTheSameStep() =>
        CheckStep(_cpu, Fixture.LoadNamed("conv4_c3_focal"), SplitFirstLayer: false);

    /// <summary>
    /// Runs the step of a "full" fixture on <paramref name="backend"/> from its init/ weights and compares
    /// everything it stores. Also used by the ResNet tests.
    /// </summary>
    internal static void CheckStep(IBackend backend, Fixture fx, bool SplitFirstLayer)
    {
        int k = fx.MetaInt("K"), m = fx.MetaInt("M"), channels = fx.MetaInt("channels");
        var loss = fx.Meta("loss") == "focal" ? BinaryLossKind.Focal : BinaryLossKind.Bce;
        float lr = float.Parse(fx.Meta("lr"), System.Globalization.CultureInfo.InvariantCulture);
        var backbone = BackboneFactory.Create(fx.Meta("backbone"), backend, channels, seed: 0);
        var head = new RelationHead(backend, backbone.FeatureSize, Aggregation.Cat, seed: 0)
        {
            SplitFirstLayer = SplitFirstLayer,
        };
        (int[], float[])? Lookup(string n) =>
            fx.Contains("init/" + n) ? (fx["init/" + n].Shape, fx["init/" + n].Data) : null;
        StateDict.Load(backbone, "backbone.", Lookup);
        StateDict.Load(head, "relation.", Lookup);
        using var optimizer = new Adam(backend,
            [new ParamGroup("backbone", backbone.Parameters().ToList(), lr),
             new ParamGroup("relation", head.Parameters().ToList(), lr)]);

        var input = fx["input"];
        var pairs = PairIndex.Build(k, m);
        using (var tape = new Tape(backend))
        {
            var views = tape.Constant(input.Data, input.Shape);
            var features = backbone.Forward(tape, views);
            Tolerances.AssertClose(TestTensors.ToArray(backend, features), fx["features"].Data, Tolerances.Features,
                "features");
            var logits = head.Forward(tape, features, pairs);
            Tolerances.AssertClose(TestTensors.ToArray(backend, logits), fx["logits"].Data, Tolerances.Logits,
                "logits");
            var lossValues = Ops.BinaryLoss(tape, logits, tape.Constant(pairs.Targets, pairs.Count), loss);
            Tolerances.AssertClose([TestTensors.ToArray(backend, lossValues)[0]], fx["loss"].Data, Tolerances.Loss,
                "loss");
            tape.Backward();
        }

        string zeroGrad = fx.Meta("zero_grad_tensor");
        var gradTol = new Dictionary<string, float[]>();
        foreach (var (n, t) in backbone.NamedParameters("backbone.").Concat(head.NamedParameters("relation.")))
        {
            var g = TestTensors.ToArray(backend, t.Grad!);
            var reference = fx["grad/" + n].Data;
            if (n == zeroGrad)
            {
                // BatchNorm1d after linear1 removes any per-channel shift: this gradient is exactly zero, and what
                // any implementation computes is rounding noise.
                Assert.That(g.Max(Math.Abs), Is.LessThan(1e-6), n);
                continue;
            }
            Tolerances.AssertClose(g, reference, Tolerances.Gradients, "grad " + n);
            double scale = reference.Max(v => Math.Abs((double)v));
            gradTol[n] = reference.Select(r => (float)(Tolerances.Gradients.Abs * scale + Tolerances.Gradients.Rel *
                Math.Abs(r))).ToArray();
        }

        foreach (var (n, t) in backbone.NamedState("backbone.").Concat(head.NamedState("relation.")))
        {
            if (n.EndsWith("running_mean") || n.EndsWith("running_var"))
            {
                Tolerances.AssertClose(TestTensors.ToArray(backend, t), fx["after/" + n].Data, Tolerances.RunningStats,
                    "after " + n);
            }
        }

        optimizer.Step();
        foreach (var (n, t) in backbone.NamedParameters("backbone.").Concat(head.NamedParameters("relation.")))
        {
            if (n == zeroGrad)
            {
                continue;
            }
            var after = TestTensors.ToArray(backend, t);
            var reference = fx["after/" + n].Data;
            var grad = fx["grad/" + n].Data;
            for (int i = 0; i < after.Length; i++)
            {
                double allowed = Tolerances.AfterAdam(reference[i], grad[i], gradTol[n][i], lr);
                Assert.That(after[i], Is.EqualTo(reference[i]).Within(allowed), $"after Adam: {n}[{i}]");
            }
        }
        foreach (var (n, get, _) in backbone.NamedCounters("backbone."))
        {
            Assert.That(get(), Is.EqualTo((long)fx["after/" + n].Data[0]), n);
        }
    }
}
