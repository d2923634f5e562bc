using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Training;

namespace RelReason.Tests.Cuda;

/// <summary>
/// The whole engine on the GPU against the CPU: one Conv-4 + relation-head step in detail (features, logits,
/// loss, every gradient, every parameter after Adam), then 20 training steps (GPU only).
/// </summary>
public class CudaTrainingTests : GpuTestBase
{
    private const int K = 4;
    private const int M = 8;
    private const int Side = 32;

    private static (Backbone, RelationHead, Adam) Build(IBackend backend)
    {
        // Same seeds on both backends: initialisation is drawn on the host, so both start from the same weights.
        var backbone = BackboneFactory.Create("conv4", backend, 3, seed: 7);
        var head = new RelationHead(backend, backbone.FeatureSize, Aggregation.Cat, seed: 7);
        var adam = new Adam(backend,
            [new ParamGroup("backbone", backbone.Parameters().ToList(), 1e-3f),
             new ParamGroup("relation", head.Parameters().ToList(), 1e-3f)]);
        return (backbone, head, adam);
    }

    private static float[] Views(int seed) => TestTensors.Random(seed, K * M * 3 * Side * Side, 2f);

    [TestCase(BinaryLossKind.Bce)]
    [TestCase(BinaryLossKind.Focal)]
    public void OneStep_MatchesCpu(BinaryLossKind kind)
    {
        var (cpuBackbone, cpuHead, cpuAdam) = Build(Cpu);
        var (gpuBackbone, gpuHead, gpuAdam) = Build(Gpu);
        using (cpuAdam)
        using (gpuAdam)
        {
            float[] views = Views(40);
            PairIndex pairs = PairIndex.Build(K, M);
            using (var cpuTape = new Tape(Cpu))
            using (var gpuTape = new Tape(Gpu))
            {
                var cf = cpuBackbone.Forward(cpuTape, cpuTape.Constant(views, K * M, 3, Side, Side));
                var gf = gpuBackbone.Forward(gpuTape, gpuTape.Constant(views, K * M, 3, Side, Side));
                Compare(gf, cf, GpuTolerance.Step, "features");
                var cl = cpuHead.Forward(cpuTape, cf, pairs);
                var gl = gpuHead.Forward(gpuTape, gf, pairs);
                Compare(gl, cl, GpuTolerance.Step, "logits");
                var closs = Ops.BinaryLoss(cpuTape, cl, cpuTape.Constant(pairs.Targets, pairs.Count), kind);
                var gloss = Ops.BinaryLoss(gpuTape, gl, gpuTape.Constant(pairs.Targets, pairs.Count), kind);
                Compare(gloss, closs, GpuTolerance.Step, "loss and accuracy");
                cpuBackbone.ZeroGrad();
                cpuHead.ZeroGrad();
                gpuBackbone.ZeroGrad();
                gpuHead.ZeroGrad();
                cpuTape.Backward();
                gpuTape.Backward();
            }
            var cpuParams = cpuBackbone.NamedParameters("backbone.").Concat(cpuHead.NamedParameters("relation."))
                .ToList();
            var gpuParams = gpuBackbone.NamedParameters("backbone.").Concat(gpuHead.NamedParameters("relation."))
                .ToList();
            Assert.That(gpuParams.Select(p => p.Name), Is.EqualTo(cpuParams.Select(p => p.Name)));
            for (int i = 0; i < cpuParams.Count; i++)
            {
                float[] cg = TestTensors.ToArray(Cpu, cpuParams[i].Tensor.Grad!);
                if (cg.Max(Math.Abs) < 1e-6f)
                {
                    // The bias before the head's BatchNorm1d has an exactly-zero gradient; both sides give noise.
                    continue;
                }
                GpuTolerance.AssertClose(TestTensors.ToArray(Gpu, gpuParams[i].Tensor.Grad!), cg, GpuTolerance.Step,
                    "grad " + cpuParams[i].Name);
            }
            cpuAdam.Step();
            gpuAdam.Step();
            for (int i = 0; i < cpuParams.Count; i++)
            {
                Compare(gpuParams[i].Tensor, cpuParams[i].Tensor, GpuTolerance.Step,
                    "after Adam " + cpuParams[i].Name);
            }
        }
    }

    [Test]
    public void TwentySteps_FollowTheCpuLossTrajectory()
    {
        var (cpuBackbone, cpuHead, cpuAdam) = Build(Cpu);
        var (gpuBackbone, gpuHead, gpuAdam) = Build(Gpu);
        using var cpuStep = new RelationalStep(cpuBackbone, cpuHead, cpuAdam, BinaryLossKind.Focal);
        using var gpuStep = new RelationalStep(gpuBackbone, gpuHead, gpuAdam, BinaryLossKind.Focal);
        var cpuLosses = new float[20];
        var gpuLosses = new float[20];
        for (int step = 0; step < 20; step++)
        {
            // A fixed small set of batches, cycled, so the loss falls as the model fits them.
            float[] views = Views(50 + step % 4);
            using var cv = TestTensors.From(Cpu, views, K * M, 3, Side, Side);
            using var gv = TestTensors.From(Gpu, views, K * M, 3, Side, Side);
            cpuLosses[step] = cpuStep.Run(cv, K).Loss;
            gpuLosses[step] = gpuStep.Run(gv, K).Loss;
        }
        TestContext.Out.WriteLine("cpu: " + string.Join(" ", cpuLosses.Select(l => l.ToString("F5"))));
        TestContext.Out.WriteLine("gpu: " + string.Join(" ", gpuLosses.Select(l => l.ToString("F5"))));
        GpuTolerance.AssertClose(gpuLosses, cpuLosses, GpuTolerance.Trajectory, "loss trajectory");
        Assert.That(gpuLosses[^1], Is.LessThan(gpuLosses[0]), "the GPU run must learn");
        cpuAdam.Dispose();
        gpuAdam.Dispose();
    }

    private void Compare(Tensor gpu, Tensor cpu, GpuTolerance.Tol tol, string what) =>
        GpuTolerance.AssertClose(TestTensors.ToArray(Gpu, gpu), TestTensors.ToArray(Cpu, cpu), tol, what);
}
