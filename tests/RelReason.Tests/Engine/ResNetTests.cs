using RelReason.Autograd;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Tests.Autograd;
using RelReason.Tests.Reference;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Engine;

/// <summary>
/// Structure of the ResNets (parameter counts of METHOD.md 2.2-2.3, torchvision's state-dict names and shapes,
/// stems, minimum input sizes), their errors, and finite-difference gradients of a BasicBlock with a projection.
/// The steps against PyTorch are in <see cref="ResNetReferenceTests"/>.
/// </summary>
public class ResNetTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    /// <summary>METHOD.md 2.2-2.3 (3 input channels); ResNet-18: torchvision's 11,689,512 less fc (513,000).</summary>
    [TestCase("resnet8", 77_392)]
    [TestCase("resnet32", 466_256)]
    [TestCase("resnet56", 855_120)]
    [TestCase("resnet18", 11_176_512)]
    [TestCase("resnet34", 21_284_672)]
    public void ParameterCountsMatchMethod(string name, long expected)
    {
        var backbone = BackboneFactory.Create(name, _cpu, 3, seed: 1);
        Assert.That(backbone.ParameterCount, Is.EqualTo(expected));
    }

    /// <summary>Only the stem conv sees the input channels: one more channel adds a k x k slice per output.</summary>
    [TestCase("resnet8", 16, 3)]
    [TestCase("resnet18", 64, 7)]
    public void InputChannelsOnlyChangeTheStemConv(string name, int stemWidth, int stemKernel)
    {
        long three = BackboneFactory.Create(name, _cpu, 3, seed: 1).ParameterCount;
        long one = BackboneFactory.Create(name, _cpu, 1, seed: 1).ParameterCount;
        long five = BackboneFactory.Create(name, _cpu, 5, seed: 1).ParameterCount;
        long perChannel = stemWidth * stemKernel * stemKernel;
        Assert.That(three - one, Is.EqualTo(2 * perChannel));
        Assert.That(five - three, Is.EqualTo(2 * perChannel));
    }

    [Test]
    public void ResNet34StateDictMatchesTorchvision()
    {
        var expected = File.ReadLines(Path.Combine(Fixture.Folder, "resnet34_torchvision_names.txt"))
            .Where(l => !l.StartsWith('#') && l.Length > 0).ToList();
        var backbone = BackboneFactory.Create("resnet34", _cpu, 3, seed: 1);
        var actual = StateDictLines(backbone);
        Assert.That(actual, Has.Count.EqualTo(expected.Count), "entries");
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i], Is.EqualTo(expected[i]), $"state-dict entry {i}");
        }
    }

    /// <summary>The small stem keeps every name; only conv1.weight changes shape (3x3 instead of 7x7).</summary>
    [Test]
    public void SmallStemKeepsTheNamesAndChangesOnlyConv1()
    {
        var reference = StateDictLines(BackboneFactory.Create("resnet34", _cpu, 3, seed: 1));
        var small = StateDictLines(BackboneFactory.Create("resnet34", _cpu, 3, seed: 1, stem: "small"));
        Assert.That(small, Has.Count.EqualTo(reference.Count));
        Assert.That(small[0], Is.EqualTo("conv1.weight 64x3x3x3"));
        Assert.That(small.Skip(1), Is.EqualTo(reference.Skip(1)));
    }

    /// <summary>A small-stem backbone's name carries the stem, so a checkpoint's backbone name recreates it.</summary>
    [Test]
    public void SmallStemNameRecreatesTheBackbone()
    {
        var small = BackboneFactory.Create("resnet18", _cpu, 3, seed: 1, stem: "small");
        Assert.That(small.ArchitectureName, Is.EqualTo("resnet18-small"));
        var again = BackboneFactory.Create(small.ArchitectureName, _cpu, 3, seed: 1);
        Assert.That(((ResNet)again).Stem, Is.EqualTo(ResNetStem.Small));
        Assert.That(StateDictLines(again), Is.EqualTo(StateDictLines(small)));
        Assert.That(BackboneFactory.Create("resnet18", _cpu, 3, seed: 1, stem: "imagenet").ArchitectureName,
            Is.EqualTo("resnet18"));
        var e = Assert.Throws<ArgumentException>(
            () => BackboneFactory.Create("resnet18-small", _cpu, 3, seed: 1, stem: "imagenet"))!;
        Assert.That(e.Message, Does.Contain("'small'").And.Contain("'imagenet'"));
        e = Assert.Throws<ArgumentException>(() => BackboneFactory.Create("resnet34-tiny", _cpu, 3, seed: 1))!;
        Assert.That(e.Message, Does.Contain("'tiny'").And.Contain("small"));
    }

    [Test]
    public void CifarResNetNamesFollowTorchvision()
    {
        var lines = StateDictLines(BackboneFactory.Create("resnet8", _cpu, 3, seed: 1));
        Assert.That(lines[0], Is.EqualTo("conv1.weight 16x3x3x3"));
        Assert.That(lines, Does.Contain("layer1.0.conv2.weight 16x16x3x3"));
        // Stage 1 keeps width and stride: identity shortcut; stages 2 and 3 project.
        Assert.That(lines.Any(l => l.StartsWith("layer1.0.downsample")), Is.False);
        Assert.That(lines, Does.Contain("layer2.0.downsample.0.weight 32x16x1x1"));
        Assert.That(lines, Does.Contain("layer3.0.downsample.1.num_batches_tracked scalar"));
        Assert.That(lines[^1], Is.EqualTo("layer3.0.downsample.1.num_batches_tracked scalar"));
    }

    /// <summary>Total strides: METHOD.md 2.2 (CIFAR: 4), 2.3 (ImageNet stem: 32), and the small stem's 8.</summary>
    [TestCase("resnet8", null, 4)]
    [TestCase("resnet56", null, 4)]
    [TestCase("resnet18", "imagenet", 32)]
    [TestCase("resnet34", null, 32)]
    [TestCase("resnet34", "small", 8)]
    public void MinInputSizeIsTheTotalStride(string name, string? stem, int expected)
    {
        var backbone = BackboneFactory.Create(name, _cpu, 3, seed: 1, stem);
        Assert.That(backbone.MinInputSize, Is.EqualTo(expected));
    }

    /// <summary>Feature sizes and that the smallest accepted input runs, for several channel counts.</summary>
    [TestCase("resnet8", null, 1, 4, 64)]
    [TestCase("resnet20", null, 5, 12, 64)]
    [TestCase("resnet18", null, 3, 32, 512)]
    [TestCase("resnet18", "small", 2, 8, 512)]
    public void ForwardGivesFeaturesOfTheRightSize(string name, string? stem, int channels, int size, int features)
    {
        var backbone = BackboneFactory.Create(name, _cpu, channels, seed: 1, stem);
        using var tape = new Tape(_cpu, record: false);
        var x = tape.Constant(Random(7, 2 * channels * size * size), 2, channels, size, size);
        var y = backbone.Forward(tape, x);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, features)));
        var values = ToArray(_cpu, y);
        Assert.That(values.All(float.IsFinite), Is.True);
        // Features are globally pooled ReLU outputs: non-negative and, with random input, not all zero.
        Assert.That(values.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(values.Max(), Is.GreaterThan(0f));
    }

    [Test]
    public void InputSmallerThanTheTotalStrideNamesBackboneAndMinimum()
    {
        var backbone = BackboneFactory.Create("resnet34", _cpu, 3, seed: 1);
        using var tape = new Tape(_cpu, record: false);
        var x = tape.Constant(new float[2 * 3 * 16 * 16], 2, 3, 16, 16);
        var e = Assert.Throws<ArgumentException>(() => backbone.Forward(tape, x))!;
        Assert.That(e.Message, Does.Contain("resnet34"));
        Assert.That(e.Message, Does.Contain("16x16"));
        Assert.That(e.Message, Does.Contain("32x32"));
        Assert.That(e.Message, Does.Contain("small"), "points to the stem that accepts small inputs");
    }

    [Test]
    public void WrongChannelCountIsRejected()
    {
        var backbone = BackboneFactory.Create("resnet8", _cpu, 3, seed: 1);
        using var tape = new Tape(_cpu, record: false);
        var x = tape.Constant(new float[2 * 1 * 8 * 8], 2, 1, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => backbone.Forward(tape, x))!;
        Assert.That(e.Message, Does.Contain("resnet8").And.Contain("[N, 3, H, W]"));
    }

    [Test]
    public void UnknownNamesAndStemsListTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => BackboneFactory.Create("resnet50", _cpu, 3, seed: 1))!;
        Assert.That(e.Message, Does.Contain("'resnet50'"));
        foreach (var name in BackboneFactory.Names)
        {
            Assert.That(e.Message, Does.Contain(name));
        }
        e = Assert.Throws<ArgumentException>(() => BackboneFactory.Create("resnet18", _cpu, 3, 1, stem: "tiny"))!;
        Assert.That(e.Message, Does.Contain("'tiny'").And.Contain("imagenet").And.Contain("small"));
        e = Assert.Throws<ArgumentException>(() => BackboneFactory.Create("resnet32", _cpu, 3, 1, stem: "small"))!;
        Assert.That(e.Message, Does.Contain("resnet32").And.Contain("resnet18, resnet34"));
        Assert.Throws<ArgumentException>(() => ResNet.Cifar(_cpu, 10, 3, seed: 1));
        Assert.Throws<ArgumentException>(() => ResNet.ImageNet(_cpu, 50, 3, seed: 1));
    }

    /// <summary>Same seed, same weights; another seed, other weights; every conv drawn from its own stream.</summary>
    [Test]
    public void InitIsSeededAndHeFanOut()
    {
        var a = StateDict.Read(BackboneFactory.Create("resnet8", _cpu, 3, seed: 5)).ToList();
        var b = StateDict.Read(BackboneFactory.Create("resnet8", _cpu, 3, seed: 5)).ToList();
        var c = StateDict.Read(BackboneFactory.Create("resnet8", _cpu, 3, seed: 6)).ToList();
        Assert.That(a.Select(t => t.Values), Is.EqualTo(b.Select(t => t.Values)));
        var conv = a.Single(t => t.Name == "layer3.0.conv2.weight");
        Assert.That(conv.Values, Is.Not.EqualTo(c.Single(t => t.Name == conv.Name).Values));
        // 64 x 64 x 3 x 3 = 36,864 draws: the sample std is within 2% of sqrt(2 / (9 * 64)).
        double std = Math.Sqrt(conv.Values.Average(v => (double)v * v));
        Assert.That(std / Math.Sqrt(2.0 / (9 * 64)), Is.EqualTo(1.0).Within(0.02));
        foreach (var t in a.Where(t => t.Name.EndsWith("bn1.weight") || t.Name.EndsWith("running_var")))
        {
            Assert.That(t.Values, Is.All.EqualTo(1f), t.Name);
        }
        foreach (var t in a.Where(t => t.Name.EndsWith(".bias") || t.Name.EndsWith("running_mean")))
        {
            Assert.That(t.Values, Is.All.EqualTo(0f), t.Name);
        }
    }

    /// <summary>
    /// A BasicBlock with a projection shortcut (2 -> 3 channels, stride 2) on a 2x2x5x5 input: the input gradient by
    /// <see cref="GradCheck"/>, and every parameter gradient (three convs, three batch norms) by a central difference
    /// on the parameter itself. A weight moves every output of its channel, so <see cref="GradCheck.Step"/> (1e-2)
    /// pushes some ReLU input across its kink; the parameters use h = 1e-3 instead, whose rounding error (54 float32
    /// outputs of ~1e-7 error each, divided by h: a few 1e-4) stays inside <see cref="GradCheck.AbsTol"/> (2e-3).
    /// </summary>
    [Test]
    public void BasicBlockWithProjectionPassesFiniteDifferences()
    {
        const double ParameterStep = 1e-3;
        var block = new BasicBlock(_cpu, new InitRandom(11), "block", 2, 3, 2);
        Assert.That(block.Downsample, Is.Not.Null);
        int[] shape = [2, 2, 5, 5];
        var x = Random(21, 100, 1.5f);
        GradCheck.CheckShapes(_cpu, (t, v) => block.Forward(t, v[0]), [shape], [x]);

        var r = Random(22, 2 * 3 * 3 * 3);
        double Loss(bool backward)
        {
            using var tape = new Tape(_cpu, record: backward);
            var y = block.Forward(tape, tape.Constant(x, shape));
            var yv = ToArray(_cpu, y);
            if (backward)
            {
                y.Grad = tape.Constant(r, y.Shape.Dims.ToArray());
                tape.Backward();
            }
            return yv.Select((v, i) => (double)v * r[i]).Sum();
        }

        block.ZeroGrad();
        Loss(backward: true);
        var parameters = block.NamedParameters().ToList();
        Assert.That(parameters, Has.Count.EqualTo(9), "3 conv weights and 3 x (BN weight, bias)");
        foreach (var (name, p) in parameters)
        {
            var analytic = ToArray(_cpu, p.Grad!);
            var values = ToArray(_cpu, p);
            for (int j = 0; j < values.Length; j++)
            {
                double numeric = 0;
                foreach (int sign in new[] { 1, -1 })
                {
                    var moved = (float[])values.Clone();
                    moved[j] += sign * (float)ParameterStep;
                    _cpu.Upload(moved, p);
                    numeric += sign * Loss(backward: false);
                }
                _cpu.Upload(values, p);
                numeric /= 2 * ParameterStep;
                Assert.That(analytic[j], Is.EqualTo(numeric).Within(GradCheck.AbsTol + GradCheck.RelTol *
                    Math.Abs(numeric)), $"{name}[{j}]: analytic {analytic[j]}, numeric {numeric}");
            }
        }
    }

    /// <summary>
    /// "name shape" lines in torchvision's state-dict order (dims joined by x, "scalar" for a counter): each
    /// module's parameters and buffers (<see cref="Module.NamedState"/>), then its num_batches_tracked
    /// (<see cref="Module.NamedCounters"/>).
    /// </summary>
    internal static List<string> StateDictLines(Module module)
    {
        var counters = module.NamedCounters().Select(c => c.Name).ToList();
        static string Owner(string name) => name[..(name.LastIndexOf('.') + 1)];
        var lines = new List<string>();
        string? current = null;
        void Flush()
        {
            foreach (var c in counters.Where(c => current != null && Owner(c) == current).ToList())
            {
                lines.Add(c + " scalar");
                counters.Remove(c);
            }
        }
        foreach (var (name, tensor) in module.NamedState())
        {
            if (Owner(name) != current)
            {
                Flush();
                current = Owner(name);
            }
            lines.Add($"{name} {string.Join("x", tensor.Shape.Dims.ToArray())}");
        }
        Flush();
        Assert.That(counters, Is.Empty, "counters of modules without tensors");
        return lines;
    }
}
