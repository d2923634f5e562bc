using System.Globalization;
using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tests.Reference;
using RelReason.Training;

namespace RelReason.Tests.Engine;

/// <summary>
/// ResNet training steps against PyTorch (tests/reference): ResNet-8 with every tensor stored ("full"), and
/// ResNet-18 with weights from the hash initialiser and 512-element samples plus norms of every gradient and update
/// ("sampled").
/// </summary>
public class ResNetReferenceTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    [Test]
    public void ResNet8StepMatchesPyTorch() =>
        ReferenceStepTests.CheckStep(_cpu, Fixture.LoadNamed("resnet8_c3_focal"), SplitFirstLayer: true);

    [Test]
    public void ResNet18SampledStepMatchesPyTorch()
    {
        var fx = Fixture.LoadNamed("resnet18_c3_bce");
        int k = fx.MetaInt("K"), m = fx.MetaInt("M"), channels = fx.MetaInt("channels");
        int sampleSize = fx.MetaInt("sample_size");
        float lr = float.Parse(fx.Meta("lr"), CultureInfo.InvariantCulture);
        Assert.That(fx.Meta("loss"), Is.EqualTo("bce"));
        var backbone = BackboneFactory.Create(fx.Meta("backbone"), _cpu, channels, seed: 0);
        var head = new RelationHead(_cpu, backbone.FeatureSize, Aggregation.Cat, seed: 0);

        // Rebuild every initial tensor from its generator and check the fixture's sample of it bit for bit.
        var init = new Dictionary<string, float[]>();
        (int[], float[])? Generate(string name)
        {
            if (!fx.Contains("initgen/" + name))
            {
                return null;
            }
            var gen = fx["initgen/" + name].Data;
            int[] shape = ParseShape(fx.Meta("shape/" + name));
            int count = shape.Aggregate(1, (a, b) => a * b);
            var values = HashInit.Generate((int)gen[0], (uint)gen[1], gen[2], count);
            Assert.That(Sample(values, sampleSize), Is.EqualTo(fx["initsample/" + name].Data), "initsample " + name);
            init[name] = values;
            return (shape, values);
        }
        StateDict.Load(backbone, "backbone.", Generate);
        StateDict.Load(head, "relation.", Generate);
        var stored = fx.Names.Where(n => n.StartsWith("initgen/")).Select(n => n["initgen/".Length..]).ToList();
        Assert.That(init.Keys, Is.EquivalentTo(stored), "the state dict (counters included) is the fixture's");

        using var optimizer = new Adam(_cpu,
            [new ParamGroup("backbone", backbone.Parameters().ToList(), lr),
             new ParamGroup("relation", head.Parameters().ToList(), lr)]);
        var input = fx["input"];
        var pairs = PairIndex.Build(k, m);
        using (var tape = new Tape(_cpu))
        {
            var features = backbone.Forward(tape, tape.Constant(input.Data, input.Shape));
            Tolerances.AssertClose(TestTensors.ToArray(_cpu, features), fx["features"].Data,
                Tolerances.Features, "features");
            var logits = head.Forward(tape, features, pairs);
            Tolerances.AssertClose(TestTensors.ToArray(_cpu, logits), fx["logits"].Data, Tolerances.Logits,
                "logits");
            var loss = Ops.BinaryLoss(tape, logits, tape.Constant(pairs.Targets, pairs.Count), BinaryLossKind.Bce);
            Tolerances.AssertClose([TestTensors.ToArray(_cpu, loss)[0]], fx["loss"].Data, Tolerances.Loss, "loss");
            tape.Backward();
        }

        string zeroGrad = fx.Meta("zero_grad_tensor");
        var parameters = backbone.NamedParameters("backbone.").Concat(head.NamedParameters("relation.")).ToList();
        var gradTol = new Dictionary<string, double>();
        foreach (var (n, t) in parameters)
        {
            var g = TestTensors.ToArray(_cpu, t.Grad!);
            if (n == zeroGrad)
            {
                // Exactly zero in exact arithmetic (BatchNorm1d follows linear1); only rounding noise is left.
                Assert.That(g.Max(Math.Abs), Is.LessThan(1e-6), n);
                continue;
            }
            double norm = fx["gradnorm/" + n].Data[0];
            Assert.That(Norm(g), Is.EqualTo(norm).Within(Tolerances.GradientNorm.Rel * norm),
                $"gradient norm of {n} ({Tolerances.GradientNorm.Why})");
            // The stored sample has no largest element to scale by; the RMS of the whole gradient stands in.
            double rms = norm / Math.Sqrt(g.Length);
            Tolerances.AssertClose(Sample(g, sampleSize), fx["gradsample/" + n].Data, Tolerances.SampledGradients,
                "gradsample " + n, rms);
            gradTol[n] = Tolerances.SampledGradients.Abs * rms;
        }

        foreach (var (n, t) in backbone.NamedState("backbone.").Concat(head.NamedState("relation.")))
        {
            if (n.EndsWith("running_mean") || n.EndsWith("running_var"))
            {
                Tolerances.AssertClose(Sample(TestTensors.ToArray(_cpu, t), sampleSize), fx["aftersample/" + n].Data,
                    Tolerances.RunningStats, "aftersample " + n);
            }
        }
        foreach (var (n, get, _) in Counters(backbone, head))
        {
            Assert.That(get(), Is.EqualTo((long)fx["aftersample/" + n].Data[0]), n);
        }

        optimizer.Step();
        foreach (var (n, t) in parameters.Where(p => p.Name != zeroGrad))
        {
            var after = TestTensors.ToArray(_cpu, t);
            var sample = Sample(after, sampleSize);
            var reference = fx["aftersample/" + n].Data;
            var gradRef = fx["gradsample/" + n].Data;
            for (int i = 0; i < sample.Length; i++)
            {
                double allowed = Tolerances.AfterAdam(reference[i], gradRef[i], gradTol[n] +
                    Tolerances.SampledGradients.Rel * Math.Abs(gradRef[i]), lr);
                Assert.That(sample[i], Is.EqualTo(reference[i]).Within(allowed), $"aftersample {n}[{i}]");
            }
            double delta = Norm(after.Select((v, i) => v - init[n][i]).ToArray());
            double deltaRef = fx["deltanorm/" + n].Data[0];
            Assert.That(delta, Is.EqualTo(deltaRef).Within(Tolerances.DeltaNorm.Rel * deltaRef),
                $"update norm of {n} ({Tolerances.DeltaNorm.Why})");
        }
    }

    /// <summary>Elements (j * n) / S for j &lt; S = min(n, size), as tests/reference stores them.</summary>
    internal static float[] Sample(float[] values, int size)
    {
        int s = Math.Min(values.Length, size);
        return Enumerable.Range(0, s).Select(j => values[(long)j * values.Length / s]).ToArray();
    }

    private static double Norm(float[] values) => Math.Sqrt(values.Sum(v => (double)v * v));

    /// <summary>A "shape/name" metadata value: dims joined by commas, "" for a 0-d tensor.</summary>
    private static int[] ParseShape(string text) => text.Length == 0
        ? []
        : text.Split(',').Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();

    private static IEnumerable<(string Name, Func<long> Get, Action<long> Set)> Counters(Module backbone,
        Module head) => backbone.NamedCounters("backbone.").Concat(head.NamedCounters("relation."));
}
