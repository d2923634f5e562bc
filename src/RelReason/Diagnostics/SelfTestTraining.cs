using System.Globalization;
using RelReason.Autograd;
using RelReason.Backends;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Training;

namespace RelReason.Diagnostics;

/// <summary>
/// The whole engine on the candidate against the reference: one backbone + relation-head step in detail (features,
/// logits, loss, every gradient, every parameter after Adam), then 20 training steps whose losses must follow
/// the reference's and fall.
/// </summary>
internal static class SelfTestTraining
{
    private const int K = 4;
    private const int M = 8;
    private const int Side = 32;

    /// <summary>A gradient below this everywhere is taken as zero plus rounding noise.</summary>
    private const float VanishingGradient = 1e-6f;

    internal static IEnumerable<SelfTestCase> Cases()
    {
        yield return new("conv4 step bce", c => OneStep(c, "conv4", BinaryLossKind.Bce));
        yield return new("conv4 step focal", c => OneStep(c, "conv4", BinaryLossKind.Focal));
        // The deep backbones add strided and 1x1 convolutions, max pooling and residual additions on the device.
        yield return new("resnet8 step focal", c => OneStep(c, "resnet8", BinaryLossKind.Focal));
        yield return new("resnet18 step bce", c => OneStep(c, "resnet18", BinaryLossKind.Bce));
        yield return new("conv4 20 steps", TwentySteps);
    }

    /// <summary>Conv-4, the relation head and Adam on one backend.</summary>
    private sealed record Model(Backbone Backbone, RelationHead Head, Adam Adam) : IDisposable
    {
        internal static Model Build(IBackend backend, string backboneName = "conv4")
        {
            // Same seeds on both backends: initialisation is drawn on the host, so both start from the same weights.
            Backbone backbone = BackboneFactory.Create(backboneName, backend, 3, seed: 7);
            var head = new RelationHead(backend, backbone.FeatureSize, Aggregation.Cat, seed: 7);
            var adam = new Adam(backend,
                [new ParamGroup("backbone", backbone.Parameters().ToList(), 1e-3f),
                 new ParamGroup("relation", head.Parameters().ToList(), 1e-3f)]);
            return new Model(backbone, head, adam);
        }

        internal List<(string Name, Tensor Tensor)> Parameters() =>
            Backbone.NamedParameters("backbone.").Concat(Head.NamedParameters("relation.")).ToList();

        public void Dispose() => Adam.Dispose();
    }

    private static float[] Views(int seed) => BackendComparer.Uniform(seed, K * M * 3 * Side * Side, 2f);

    private static void OneStep(BackendComparer c, string backboneName, BinaryLossKind kind)
    {
        using Model reference = Model.Build(c.Reference, backboneName);
        using Model candidate = Model.Build(c.Candidate, backboneName);
        float[] views = Views(40);
        PairIndex pairs = PairIndex.Build(K, M);
        using (var rTape = new Tape(c.Reference))
        using (var cTape = new Tape(c.Candidate))
        {
            Tensor rf = reference.Backbone.Forward(rTape, rTape.Constant(views, K * M, 3, Side, Side));
            Tensor cf = candidate.Backbone.Forward(cTape, cTape.Constant(views, K * M, 3, Side, Side));
            c.Compare(new TensorPair(rf, cf), GpuTolerances.Step, "features");
            Tensor rl = reference.Head.Forward(rTape, rf, pairs);
            Tensor cl = candidate.Head.Forward(cTape, cf, pairs);
            c.Compare(new TensorPair(rl, cl), GpuTolerances.Step, "logits");
            Tensor rLoss = Ops.BinaryLoss(rTape, rl, rTape.Constant(pairs.Targets, pairs.Count), kind);
            Tensor cLoss = Ops.BinaryLoss(cTape, cl, cTape.Constant(pairs.Targets, pairs.Count), kind);
            c.Compare(new TensorPair(rLoss, cLoss), GpuTolerances.Step, "loss and accuracy");
            reference.Backbone.ZeroGrad();
            reference.Head.ZeroGrad();
            candidate.Backbone.ZeroGrad();
            candidate.Head.ZeroGrad();
            rTape.Backward();
            cTape.Backward();
        }
        List<(string Name, Tensor Tensor)> rParams = reference.Parameters();
        List<(string Name, Tensor Tensor)> cParams = candidate.Parameters();
        var vanishing = new bool[rParams.Count];
        var rGrads = new float[rParams.Count][];
        for (int i = 0; i < rParams.Count; i++)
        {
            float[] rGrad = rGrads[i] = BackendComparer.Read(c.Reference, rParams[i].Tensor.Grad!);
            float[] cGrad = BackendComparer.Read(c.Candidate, cParams[i].Tensor.Grad!);
            float rMax = rGrad.Max(Math.Abs);
            if (rMax < VanishingGradient)
            {
                // The bias before the head's BatchNorm1d: batch norm removes it, so its gradient is exactly zero in
                // exact arithmetic and each side's value is rounding noise. What must agree is that it vanishes.
                vanishing[i] = true;
                float cMax = cGrad.Max(Math.Abs);
                c.Record(CheckResult.Condition($"grad {rParams[i].Name} vanishes", cMax < VanishingGradient,
                    $"max |grad| {Format(cMax, "0.0E+00")}, reference {Format(rMax, "0.0E+00")}, bound 1E-06"));
                continue;
            }
            c.Compare(cGrad, rGrad, GpuTolerances.Step, "grad " + rParams[i].Name);
        }
        reference.Adam.Step();
        candidate.Adam.Step();
        for (int i = 0; i < rParams.Count; i++)
        {
            if (vanishing[i])
            {
                // Adam divides the noise by its own magnitude, so these parameters move by about lr in arbitrary
                // directions on each side; comparing them would compare noise.
                continue;
            }
            CompareAfterAdam(c, rParams[i], cParams[i].Tensor, rGrads[i]);
        }
    }

    /// <summary>
    /// Adam's first step moves a parameter by about -lr * g / (|g| + eps), so where |g| is tiny a gradient error dg
    /// within the step tolerance moves it by up to lr * min(2, dg / (|g| + eps)); the bound per element adds that to
    /// the step tolerance of the value itself.
    /// </summary>
    private static void CompareAfterAdam(BackendComparer c, (string Name, Tensor Tensor) reference, Tensor candidate,
        float[] refGrad)
    {
        const double lr = 1e-3, eps = 1e-8;
        float[] r = BackendComparer.Read(c.Reference, reference.Tensor);
        float[] a = BackendComparer.Read(c.Candidate, candidate);
        var tol = GpuTolerances.Step;
        double gradScale = refGrad.Max(v => Math.Abs((double)v));
        double scale = r.Max(v => Math.Abs((double)v));
        int failures = 0, first = -1;
        double worst = 0;
        for (int j = 0; j < r.Length; j++)
        {
            double dg = tol.Abs * gradScale + tol.Rel * Math.Abs(refGrad[j]);
            double allowed = tol.Abs * scale + tol.Rel * Math.Abs(r[j]) +
                lr * Math.Min(2, dg / (Math.Abs(refGrad[j]) + eps));
            double err = Math.Abs((double)a[j] - r[j]);
            worst = Math.Max(worst, err);
            if (!(err <= allowed))
            {
                failures++;
                first = first < 0 ? j : first;
            }
        }
        string detail = failures == 0
            ? $"max abs {Format((float)worst, "0.00E+00")}, bound {tol} plus lr x min(2, dg / |g|)"
            : $"{failures} of {r.Length} beyond; first [{first}] {a[first]} vs {r[first]}";
        c.Record(CheckResult.Condition("after Adam " + reference.Name, failures == 0, detail));
    }

    private static void TwentySteps(BackendComparer c)
    {
        using Model reference = Model.Build(c.Reference);
        using Model candidate = Model.Build(c.Candidate);
        using var rStep = new RelationalStep(reference.Backbone, reference.Head, reference.Adam, BinaryLossKind.Focal);
        using var cStep = new RelationalStep(candidate.Backbone, candidate.Head, candidate.Adam, BinaryLossKind.Focal);
        var rLosses = new float[20];
        var cLosses = new float[20];
        for (int step = 0; step < 20; step++)
        {
            // A fixed small set of batches, cycled, so the loss falls as the model fits them.
            float[] views = Views(50 + step % 4);
            TensorPair v = c.Both(views, K * M, 3, Side, Side);
            rLosses[step] = rStep.Run(v.Reference, K).Loss;
            cLosses[step] = cStep.Run(v.Candidate, K).Loss;
        }
        c.Compare(cLosses, rLosses, GpuTolerances.Trajectory, "loss trajectory");
        c.Record(CheckResult.Condition("the loss falls", cLosses[^1] < cLosses[0],
            $"loss {Format(cLosses[0])} -> {Format(cLosses[^1])}; reference {Format(rLosses[0])} -> " +
            Format(rLosses[^1])));
    }

    private static string Format(float v, string format = "F5") => v.ToString(format, CultureInfo.InvariantCulture);
}
