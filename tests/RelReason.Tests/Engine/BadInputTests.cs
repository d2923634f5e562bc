using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Training;

namespace RelReason.Tests.Engine;

/// <summary>Bad shapes give an exception that names the op and the shapes, never a wrong answer or a native
/// crash.</summary>
public class BadInputTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    private static void Throws(TestDelegate code, params string[] fragments)
    {
        var ex = Assert.Throws<ArgumentException>(code);
        foreach (var f in fragments)
        {
            Assert.That(ex!.Message, Does.Contain(f));
        }
    }

    [Test]
    public void ShapeMismatchNamesOpAndShapes()
    {
        using var tape = new Tape(_cpu);
        var a = tape.Empty(2, 3);
        var b = tape.Empty(3, 2);
        Throws(() => Ops.Add(tape, a, b), "add", "[2, 3]", "[3, 2]");
        var w = tape.Empty(4, 5);
        var bias = tape.Empty(4);
        Throws(() => Ops.Linear(tape, a, w, bias), "linear", "[2, 3]", "[4, 5]");
        var c = tape.Empty(2, 2);
        Throws(() => _cpu.Gemm(a, false, a, false, c, 1f, 0f), "gemm", "[2, 3]");
        Throws(() => _cpu.BinaryLoss(tape.Empty(4), tape.Empty(5), BinaryLossKind.Bce, 2, 0.5f, tape.Empty(2),
            tape.Empty(4)), "binary loss", "[4]", "[5]");
    }

    [Test]
    public void WrongChannelCountNamesTheBackbone()
    {
        var conv4 = new Conv4(_cpu, 1, seed: 1);
        using var tape = new Tape(_cpu);
        Throws(() => conv4.Forward(tape, tape.Empty(2, 3, 32, 32)), "conv4", "[2, 3, 32, 32]", "[N, 1, H, W]");
        var bn = new BatchNorm(_cpu, 8);
        Throws(() => bn.Forward(tape, tape.Empty(2, 4, 5, 5)), "batch norm", "4 channels", "has 8");
        var w = tape.Empty(8, 2, 3, 3);
        Throws(() => Ops.Conv2d(tape, tape.Empty(1, 3, 8, 8), w, 1, 1), "conv2d", "[1, 3, 8, 8]", "[8, 2, 3, 3]");
    }

    [Test]
    public void EmptyBatchAndTooSmallInputs()
    {
        var conv4 = new Conv4(_cpu, 1, seed: 1);
        using var tape = new Tape(_cpu);
        Throws(() => conv4.Forward(tape, tape.Empty(0, 1, 32, 32)), "empty batch");
        Throws(() => conv4.Forward(tape, tape.Empty(2, 1, 4, 4)), "conv4", "smaller");
        Throws(() => Ops.MaxPool2d(tape, tape.Empty(1, 1, 2, 2), 3, 2, 0), "max_pool2d", "smaller");
    }

    [TestCase(1, 8, "M >= 2")]
    [TestCase(4, 1, "K must be >= 2")]
    public void DegenerateRelationBatches(int m, int k, string fragment)
    {
        var conv4 = new Conv4(_cpu, 1, seed: 1);
        var head = new RelationHead(_cpu, 64, Aggregation.Cat, seed: 2);
        var all = conv4.Parameters().Concat(head.Parameters()).ToList();
        using var adam = new Adam(_cpu, [new ParamGroup("all", all, 1e-3f)]);
        using var step = new RelationalStep(conv4, head, adam, BinaryLossKind.Bce);
        using var views = _cpu.Empty(new Shape(Math.Max(1, k) * m, 1, 16, 16));
        _cpu.Fill(views, 0.5f);
        Throws(() => step.Run(views, k), fragment);
    }

    [Test]
    public void ViewsThatAreNotKTimesM()
    {
        var conv4 = new Conv4(_cpu, 1, seed: 1);
        var head = new RelationHead(_cpu, 64, Aggregation.Cat, seed: 2);
        using var adam = new Adam(_cpu, [new ParamGroup("all", conv4.Parameters().ToList(), 1e-3f)]);
        using var step = new RelationalStep(conv4, head, adam, BinaryLossKind.Bce);
        using var views = _cpu.Empty(new Shape(10, 1, 16, 16));
        Throws(() => step.Run(views, 4), "K*M", "K=4", "[10, 1, 16, 16]");
    }
}
