using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Tests.Reference;
using static RelReason.Tests.TestTensors;

namespace RelReason.Tests.Engine;

/// <summary>Single ops of the CPU backend against PyTorch: losses at extreme logits, batch norm, optimisers.</summary>
public class ReferenceOpTests
{
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    [TestCase("bce", BinaryLossKind.Bce)]
    [TestCase("focal", BinaryLossKind.Focal)]
    public void BinaryLossAtExtremeLogits(string name, BinaryLossKind kind)
    {
        var fx = Fixture.LoadNamed("losses");
        var logits = fx[name + "/logits"].Data;
        var targets = fx[name + "/targets"].Data;
        using var x = From(_cpu, logits, logits.Length);
        using var y = From(_cpu, targets, targets.Length);
        using var loss = _cpu.Empty(new(2));
        using var grad = _cpu.Empty(new(logits.Length));
        _cpu.BinaryLoss(x, y, kind, 2f, 0.5f, loss, grad);
        var l = ToArray(_cpu, loss);
        Tolerances.AssertClose([l[0]], fx[name + "/loss"].Data, Tolerances.LossElements, name + " mean");
        Tolerances.AssertClose(ToArray(_cpu, grad), fx[name + "/grad"].Data, Tolerances.LossElements, name + " grad");
        Assert.That(float.IsFinite(l[0]), Is.True);
        // Accuracy counts logits on the right side of 0 (sigmoid(0) = 0.5 rounds to 0).
        int expected = logits.Zip(targets).Count(p => (p.First > 0 ? 1f : 0f) == p.Second);
        Assert.That(l[1], Is.EqualTo(expected));
    }

    [Test]
    public void SoftmaxCrossEntropyWithTiesAndLargeOffsets()
    {
        var fx = Fixture.LoadNamed("losses");
        var logits = fx["softmax_ce/logits"];
        using var x = From(_cpu, logits.Data, logits.Shape);
        using var labels = From(_cpu, fx["softmax_ce/labels"].Data, logits.Shape[0]);
        using var loss = _cpu.Empty(new(2));
        using var grad = _cpu.Empty(new(logits.Shape));
        _cpu.SoftmaxCrossEntropy(x, labels, loss, grad);
        Tolerances.AssertClose([ToArray(_cpu, loss)[0]], fx["softmax_ce/loss"].Data, Tolerances.LossElements, "loss");
        Tolerances.AssertClose(ToArray(_cpu, grad), fx["softmax_ce/grad"].Data, Tolerances.LossElements, "grad");
    }

    [TestCase("bn2d")]
    [TestCase("bn1d")]
    public void BatchNormTrainAndEval(string bn)
    {
        var fx = Fixture.LoadNamed("batchnorm");
        var xf = fx[bn + "/x"];
        int c = fx[bn + "/gamma"].Count;
        using var x = From(_cpu, xf.Data, xf.Shape);
        using var dy = From(_cpu, fx[bn + "/dy"].Data, xf.Shape);
        using var gamma = From(_cpu, fx[bn + "/gamma"].Data, c);
        using var beta = From(_cpu, fx[bn + "/beta"].Data, c);
        using var rm = From(_cpu, fx[bn + "/running_mean"].Data, c);
        using var rv = From(_cpu, fx[bn + "/running_var"].Data, c);
        using var y = _cpu.Empty(new(xf.Shape));
        using var mean = _cpu.Empty(new(c));
        using var inv = _cpu.Empty(new(c));
        _cpu.BatchNormForwardTraining(x, gamma, beta, y, rm, rv, mean, inv, 0.1, 1e-5);
        var tol = Tolerances.SmallOps;
        Tolerances.AssertClose(ToArray(_cpu, y), fx[bn + "/train/y"].Data, tol, "train y");
        Tolerances.AssertClose(ToArray(_cpu, mean), fx[bn + "/train/batch_mean"].Data, tol, "batch mean");
        Tolerances.AssertClose(ToArray(_cpu, rm), fx[bn + "/train/running_mean_after"].Data, tol, "running mean");
        Tolerances.AssertClose(ToArray(_cpu, rv), fx[bn + "/train/running_var_after"].Data, tol, "running var");
        var invExpected = fx[bn + "/train/batch_var_biased"].Data
            .Select(v => (float)(1 / Math.Sqrt(v + 1e-5))).ToArray();
        Tolerances.AssertClose(ToArray(_cpu, inv), invExpected, tol, "inverse std");

        using var dx = _cpu.Empty(new(xf.Shape));
        using var dg = From(_cpu, new float[c], c);
        using var db = From(_cpu, new float[c], c);
        _cpu.BatchNormBackward(x, dy, gamma, mean, inv, dx, dg, db, 0f);
        Tolerances.AssertClose(ToArray(_cpu, dx), fx[bn + "/train/dx"].Data, tol, "dx");
        Tolerances.AssertClose(ToArray(_cpu, dg), fx[bn + "/train/dgamma"].Data, tol, "dgamma");
        Tolerances.AssertClose(ToArray(_cpu, db), fx[bn + "/train/dbeta"].Data, tol, "dbeta");

        using var rm0 = From(_cpu, fx[bn + "/running_mean"].Data, c);
        using var rv0 = From(_cpu, fx[bn + "/running_var"].Data, c);
        _cpu.BatchNormForwardInference(x, gamma, beta, y, rm0, rv0, 1e-5);
        Tolerances.AssertClose(ToArray(_cpu, y), fx[bn + "/eval/y"].Data, tol, "eval y");
    }

    [TestCase("sgd_momentum")]
    [TestCase("sgd_nesterov")]
    [TestCase("sgd_momentum_wd")]
    [TestCase("sgd_nesterov_wd")]
    [TestCase("adam")]
    [TestCase("adam_wd")]
    public void OptimizerThreeSteps(string config)
    {
        var fx = Fixture.LoadNamed("optimizers");
        string meta = fx.Meta(config);
        float Option(string key) => float.Parse(meta.Split(' ').First(o => o.StartsWith(key + "=")).Split('=')[1],
            System.Globalization.CultureInfo.InvariantCulture);
        var p0 = fx["param0"];
        using var p = From(_cpu, p0.Data, p0.Shape);
        using var s1 = From(_cpu, new float[p0.Count], p0.Shape);
        using var s2 = From(_cpu, new float[p0.Count], p0.Shape);
        using var g = _cpu.Empty(new(p0.Shape));
        bool adam = config.StartsWith("adam");
        for (int step = 1; step <= 3; step++)
        {
            _cpu.Upload(fx[$"grad{step}"].Data, g);
            if (adam)
            {
                _cpu.AdamStep(p, g, s1, s2, Option("lr"), 0.9f, 0.999f, 1e-8f, Option("weight_decay"), step);
            }
            else
            {
                _cpu.SgdStep(p, g, s1, Option("lr"), Option("momentum"), Option("weight_decay"),
                    meta.Contains("nesterov=True"), step == 1);
            }
            Tolerances.AssertClose(ToArray(_cpu, p), fx[$"{config}/param{step}"].Data, Tolerances.SmallOps,
                $"{config} step {step}");
        }
        Tolerances.AssertClose(ToArray(_cpu, s1), fx[$"{config}/{(adam ? "exp_avg" : "momentum_buffer")}"].Data,
            Tolerances.SmallOps, "state");
    }
}
