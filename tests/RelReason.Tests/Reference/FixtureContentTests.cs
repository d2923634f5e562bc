using RelReason.Backends;

namespace RelReason.Tests.Reference;

/// <summary>
/// Opens every committed PyTorch fixture and checks that names, shapes and metadata agree with each other, with
/// METHOD.md and with <see cref="PairIndex"/>. The engine comparisons themselves live with the engine tests.
/// </summary>
public class FixtureContentTests
{
    private static readonly string[] StepFixtures =
    [
        "conv4_c1_bce", "conv4_c1_focal", "conv4_c3_bce", "conv4_c3_focal", "resnet8_c3_focal", "resnet18_c3_bce",
    ];

    private static readonly string[] AllFixtures = [.. StepFixtures, "losses", "batchnorm", "optimizers", "resample"];

    // Backbone parameter counts (buffers excluded): METHOD.md 2.1-2.3; Conv-4 with one input channel has
    // 8*2*9 = 144 fewer first-layer weights; ResNet-18 is torchvision's 11,689,512 minus the 513,000 of fc.
    private static readonly Dictionary<(string, int), long> BackboneParameters = new()
    {
        [("conv4", 3)] = 24_648,
        [("conv4", 1)] = 24_504,
        [("resnet8", 3)] = 77_392,
        [("resnet18", 3)] = 11_176_512,
    };

    [Test]
    public void EveryFixtureIsCommittedAndReadable()
    {
        var onDisk = Directory.GetFiles(Fixture.Folder, "*.safetensors").Select(Path.GetFileNameWithoutExtension);
        Assert.That(onDisk, Is.EquivalentTo(AllFixtures), $"fixtures in {Fixture.Folder}");
        foreach (string name in AllFixtures)
        {
            var f = Fixture.LoadNamed(name);
            Assert.That(f.Names, Is.Not.Empty, name);
            Assert.That(f.Meta("torch"), Does.StartWith("1.13"), name);
            foreach (string t in f.Names)
            {
                var (shape, data) = f[t];
                Assert.That(data, Has.Length.EqualTo(shape.Aggregate(1L, (a, d) => a * d)), $"{name}: {t}");
                Assert.That(data.All(float.IsFinite), Is.True, $"{name}: {t} has a non-finite value");
            }
        }
    }

    [TestCaseSource(nameof(StepFixtures))]
    public void StepFixtureShapesFollowTheMetadata(string name)
    {
        var f = Fixture.LoadNamed(name);
        Assert.That(f.Meta("kind"), Is.EqualTo("relation_step"));
        int k = f.MetaInt("K"), m = f.MetaInt("M"), c = f.MetaInt("channels"), size = f.MetaInt("size");
        int d = f.MetaInt("feature_dim"), p = f.MetaInt("pairs");
        Assert.That(p, Is.EqualTo(m * k * (k - 1)), "M*K*(K-1) pairs");
        Assert.That(f["input"].Shape, Is.EqualTo(new[] { k * m, c, size, size }));
        Assert.That(f["features"].Shape, Is.EqualTo(new[] { k * m, d }));
        Assert.That(f["logits"].Shape, Is.EqualTo(new[] { p }));
        Assert.That(f["loss"].Shape, Is.EqualTo(new[] { 1 }));
        Assert.That(f["loss"].Data[0], Is.GreaterThan(0f));
        Assert.That(f.Meta("loss"), Is.AnyOf("bce", "focal"));
        // Features are globally pooled post-ReLU activations (METHOD 1.1): never negative.
        Assert.That(f["features"].Data.Min(), Is.GreaterThanOrEqualTo(0f));
    }

    [TestCaseSource(nameof(StepFixtures))]
    public void PairRowsMatchPairIndex(string name)
    {
        var f = Fixture.LoadNamed(name);
        var index = PairIndex.Build(f.MetaInt("K"), f.MetaInt("M"));
        Assert.That(f["pairs/left"].Data.Select(v => (int)v), Is.EqualTo(index.Left));
        Assert.That(f["pairs/right"].Data.Select(v => (int)v), Is.EqualTo(index.Right));
        Assert.That(f["targets"].Data, Is.EqualTo(index.Targets));
    }

    [TestCaseSource(nameof(StepFixtures))]
    public void StateNamesAndShapesAreThoseOfTheModel(string name)
    {
        var f = Fixture.LoadNamed(name);
        string backbone = f.Meta("backbone");
        int c = f.MetaInt("channels"), d = f.MetaInt("feature_dim");
        var shapes = StateShapes(f);
        var parameters = ParameterNames(f);

        // Head (METHOD 1.3) and the first conv of each backbone family.
        Assert.That(shapes["relation.linear1.weight"], Is.EqualTo(new[] { 256, 2 * d }));
        Assert.That(shapes["relation.linear1.bias"], Is.EqualTo(new[] { 256 }));
        Assert.That(shapes["relation.bn1.running_var"], Is.EqualTo(new[] { 256 }));
        Assert.That(shapes["relation.linear2.weight"], Is.EqualTo(new[] { 1, 256 }));
        Assert.That(shapes["relation.linear2.bias"], Is.EqualTo(new[] { 1 }));
        int[] firstConv = backbone switch
        {
            "conv4" => shapes["backbone.layer1.conv.weight"],
            _ => shapes["backbone.conv1.weight"],
        };
        int[] expectedFirst = backbone switch
        {
            "conv4" => [8, c, 3, 3],
            "resnet18" => [64, c, 7, 7],
            _ => [16, c, 3, 3],
        };
        Assert.That(firstConv, Is.EqualTo(expectedFirst));

        // Every BN has its five entries, num_batches_tracked is 0-d, and only parameters have gradients.
        foreach (string bn in shapes.Keys.Where(n => n.EndsWith(".running_mean", StringComparison.Ordinal)))
        {
            string prefix = bn[..^".running_mean".Length];
            foreach (string leaf in new[] { "weight", "bias", "running_var" })
            {
                Assert.That(shapes[$"{prefix}.{leaf}"], Is.EqualTo(shapes[bn]), $"{prefix}.{leaf}");
            }
            Assert.That(shapes[$"{prefix}.num_batches_tracked"], Is.Empty, $"{prefix}.num_batches_tracked");
        }
        var buffers = shapes.Keys.Where(n => n.Contains(".running_") || n.EndsWith(".num_batches_tracked"));
        Assert.That(parameters, Is.EquivalentTo(shapes.Keys.Except(buffers)));
        long backboneCount = parameters.Where(n => n.StartsWith("backbone.", StringComparison.Ordinal))
            .Sum(n => shapes[n].Aggregate(1L, (a, x) => a * x));
        Assert.That(backboneCount, Is.EqualTo(BackboneParameters[(backbone, c)]));
    }

    [TestCaseSource(nameof(StepFixtures))]
    public void FullOrSampledStorageIsComplete(string name)
    {
        var f = Fixture.LoadNamed(name);
        var shapes = StateShapes(f);
        var parameters = ParameterNames(f).ToHashSet();
        if (f.Meta("storage") == "full")
        {
            foreach (var (n, shape) in shapes)
            {
                Assert.That(f[$"after/{n}"].Shape, Is.EqualTo(shape), n);
                Assert.That(f.Contains($"grad/{n}"), Is.EqualTo(parameters.Contains(n)), n);
                if (parameters.Contains(n))
                {
                    Assert.That(f[$"grad/{n}"].Shape, Is.EqualTo(shape), n);
                }
                if (n.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                {
                    Assert.That(f[$"init/{n}"].Data[0], Is.EqualTo(0f), n);
                    Assert.That(f[$"after/{n}"].Data[0], Is.EqualTo(1f), n);
                }
            }
            Assert.That(f.Names.Count, Is.EqualTo(7 + 2 * shapes.Count + parameters.Count));
            return;
        }
        Assert.That(f.Meta("storage"), Is.EqualTo("sampled"));
        int sampleSize = f.MetaInt("sample_size");
        foreach (var (n, shape) in shapes)
        {
            int count = shape.Aggregate(1, (a, x) => a * x);
            int s = Math.Min(count, sampleSize);
            Assert.That(f[$"initgen/{n}"].Shape, Is.EqualTo(new[] { 3 }), n);
            Assert.That(f[$"initsample/{n}"].Shape, Is.EqualTo(new[] { s }), n);
            Assert.That(f[$"aftersample/{n}"].Shape, Is.EqualTo(new[] { s }), n);
            Assert.That(f[$"deltanorm/{n}"].Shape, Is.EqualTo(new[] { 1 }), n);
            Assert.That(f.Contains($"gradsample/{n}"), Is.EqualTo(parameters.Contains(n)), n);
            Assert.That(f.Contains($"gradnorm/{n}"), Is.EqualTo(parameters.Contains(n)), n);
        }
        Assert.That(f.Names.Count, Is.EqualTo(7 + 4 * shapes.Count + 2 * parameters.Count));
    }

    [Test]
    public void HashInitReproducesTheSampledInitialWeightsBitForBit()
    {
        var f = Fixture.LoadNamed("resnet18_c3_bce");
        int sampleSize = f.MetaInt("sample_size");
        int checkedTensors = 0;
        foreach (var (n, shape) in StateShapes(f))
        {
            float[] gen = f[$"initgen/{n}"].Data;
            int count = shape.Aggregate(1, (a, x) => a * x);
            int s = Math.Min(count, sampleSize);
            float[] sample = f[$"initsample/{n}"].Data;
            for (int j = 0; j < s; j++)
            {
                uint index = (uint)((long)j * count / s);
                float expected = HashInit.Value((int)gen[0], (uint)gen[1], gen[2], index);
                Assert.That(BitConverter.SingleToInt32Bits(sample[j]),
                    Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{n}[{index}]");
            }
            checkedTensors++;
        }
        Assert.That(checkedTensors, Is.EqualTo(StateShapes(f).Count).And.GreaterThan(100));
    }

    [Test]
    public void TorchvisionResNet34ListAgreesWithMethodAndTheResNet18Fixture()
    {
        string path = Path.Combine(Fixture.Folder, "resnet34_torchvision_names.txt");
        var entries = File.ReadLines(path).Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')).ToList();
        Assert.That(entries.All(e => e.Length == 2), Is.True, $"{path}: every line is 'name shape'");
        var shapes = entries.ToDictionary(
            e => e[0], e => e[1] == "scalar" ? [] : e[1].Split('x').Select(int.Parse).ToArray());
        Assert.That(shapes.Keys.Any(n => n.StartsWith("fc.", StringComparison.Ordinal)), Is.False);
        long weights = shapes.Where(e => e.Key.EndsWith(".weight") || e.Key.EndsWith(".bias"))
            .Sum(e => e.Value.Aggregate(1L, (a, x) => a * x));
        Assert.That(weights, Is.EqualTo(21_284_672), "ResNet-34 parameters (METHOD 2.3)");

        // ResNet-18's blocks 0 and 1 of every stage exist in ResNet-34 with the same names and shapes.
        var resnet18 = StateShapes(Fixture.LoadNamed("resnet18_c3_bce"))
            .Where(e => e.Key.StartsWith("backbone.", StringComparison.Ordinal))
            .ToDictionary(e => e.Key["backbone.".Length..], e => e.Value);
        Assert.That(resnet18, Has.Count.EqualTo(120));
        foreach (var (n, shape) in resnet18)
        {
            Assert.That(shapes.ContainsKey(n), Is.True, $"{n} missing from the torchvision list");
            Assert.That(shapes[n], Is.EqualTo(shape), n);
        }
    }

    [TestCase("bce")]
    [TestCase("focal")]
    [TestCase("softmax_ce")]
    public void LossFixtureMeanMatchesItsElements(string loss)
    {
        var f = Fixture.LoadNamed("losses");
        float[] elements = f[$"{loss}/elementwise"].Data;
        Assert.That(f[$"{loss}/grad"].Shape, Is.EqualTo(f[$"{loss}/logits"].Shape));
        // Mean and elements are float64 results each rounded to float32 (6e-8 relative): 1e-6 relative is ample.
        double mean = elements.Select(v => (double)v).Average();
        Assert.That(f[$"{loss}/loss"].Data[0], Is.EqualTo(mean).Within(1e-4).Percent);
        if (loss == "softmax_ce")
        {
            Assert.That(f["softmax_ce/logits"].Shape, Is.EqualTo(new[] { 5, 7 }));
            // Softmax gradient rows sum to zero: (softmax - onehot) / rows.
            float[] grad = f["softmax_ce/grad"].Data;
            for (int r = 0; r < 5; r++)
            {
                Assert.That(grad.Skip(7 * r).Take(7).Sum(), Is.EqualTo(0f).Within(1e-6f), $"row {r}");
            }
        }
        else
        {
            Assert.That(f[$"{loss}/targets"].Data.Distinct(), Is.EquivalentTo(new[] { 0f, 1f }));
        }
    }

    [TestCase("bn2d", 3)]
    [TestCase("bn1d", 5)]
    public void BatchNormFixtureShapes(string bn, int channels)
    {
        var f = Fixture.LoadNamed("batchnorm");
        int[] xShape = f[$"{bn}/x"].Shape;
        Assert.That(xShape[1], Is.EqualTo(channels));
        foreach (string mode in new[] { "train", "eval" })
        {
            Assert.That(f[$"{bn}/{mode}/y"].Shape, Is.EqualTo(xShape));
            Assert.That(f[$"{bn}/{mode}/dx"].Shape, Is.EqualTo(xShape));
            foreach (string v in new[] { "dgamma", "dbeta", "running_mean_after", "running_var_after" })
            {
                Assert.That(f[$"{bn}/{mode}/{v}"].Shape, Is.EqualTo(new[] { channels }), $"{bn}/{mode}/{v}");
            }
        }
        // Eval mode leaves the running statistics alone; train mode moves them.
        Assert.That(f[$"{bn}/eval/running_mean_after"].Data, Is.EqualTo(f[$"{bn}/running_mean"].Data));
        Assert.That(f[$"{bn}/train/running_mean_after"].Data, Is.Not.EqualTo(f[$"{bn}/running_mean"].Data));
    }

    [Test]
    public void OptimizerFixtureHasThreeStepsPerConfiguration()
    {
        var f = Fixture.LoadNamed("optimizers");
        int[] shape = f["param0"].Shape;
        string[] configs = ["sgd_momentum", "sgd_nesterov", "sgd_momentum_wd", "sgd_nesterov_wd", "adam", "adam_wd"];
        foreach (string config in configs)
        {
            Assert.That(f.Meta(config), Is.Not.Empty);
            for (int step = 1; step <= 3; step++)
            {
                Assert.That(f[$"grad{step}"].Shape, Is.EqualTo(shape));
                Assert.That(f[$"{config}/param{step}"].Shape, Is.EqualTo(shape), $"{config} step {step}");
            }
            string state = config.StartsWith("sgd", StringComparison.Ordinal) ? "momentum_buffer" : "exp_avg_sq";
            Assert.That(f[$"{config}/{state}"].Shape, Is.EqualTo(shape), config);
        }
    }

    /// <summary>Every state-dict entry (backbone and head) with its full shape, from whichever storage.</summary>
    private static Dictionary<string, int[]> StateShapes(Fixture f)
    {
        if (f.Meta("storage") == "full")
        {
            return f.Names.Where(n => n.StartsWith("init/", StringComparison.Ordinal))
                .ToDictionary(n => n["init/".Length..], n => f[n].Shape);
        }
        return f.Metadata.Where(e => e.Key.StartsWith("shape/", StringComparison.Ordinal))
            .ToDictionary(e => e.Key["shape/".Length..],
                e => e.Value.Length == 0 ? [] : e.Value.Split(',').Select(int.Parse).ToArray());
    }

    private static IEnumerable<string> ParameterNames(Fixture f)
    {
        string prefix = f.Meta("storage") == "full" ? "grad/" : "gradnorm/";
        return f.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]);
    }
}
