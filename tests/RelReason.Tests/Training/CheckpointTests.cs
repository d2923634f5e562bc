using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Nn;
using RelReason.Tests.Data;
using RelReason.Training;
using RelReason.Training.Checkpoints;

namespace RelReason.Tests.Training;

public class CheckpointTests
{
    private const int K = 3;
    private const int M = 4;
    private CpuBackend _cpu = null!;

    [OneTimeSetUp]
    public void Setup() => _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void TearDown() => _cpu.Dispose();

    /// <summary>A Conv4 + relation head + Adam (two groups), after <paramref name="steps"/> training steps.</summary>
    private sealed class Run : IDisposable
    {
        public Run(IBackend backend, ulong seed, int channels = 1, int steps = 0)
        {
            Backbone = new Conv4(backend, channels, seed);
            Head = new RelationHead(backend, Backbone.FeatureSize, Aggregation.Cat, seed + 1);
            Optimizer = new Adam(backend,
                [new ParamGroup("backbone", Backbone.Parameters().ToList(), 1e-3f),
                 new ParamGroup("relation", Head.Parameters().ToList(), 1e-3f)]);
            Step = new RelationalStep(Backbone, Head, Optimizer, BinaryLossKind.Focal);
            for (int s = 0; s < steps; s++)
            {
                TrainStep(backend, s);
            }
        }

        public Conv4 Backbone { get; }

        public RelationHead Head { get; }

        public Adam Optimizer { get; }

        public RelationalStep Step { get; }

        public CheckpointModules Modules => new(Backbone, Head, Checkpoint.RelationHead, Optimizer);

        public StepResult TrainStep(IBackend backend, int s)
        {
            int c = Backbone.InChannels;
            using var views = TestTensors.From(backend, TestTensors.Random(100 + s, K * M * c * 16 * 16),
                K * M, c, 16, 16);
            return Step.Run(views, K);
        }

        public Dictionary<string, float[]> State(IBackend backend) =>
            Backbone.NamedState("backbone.").Concat(Head.NamedState("relation."))
                .Concat(Optimizer.NamedState().Select(s => ("optimizer." + s.Name, s.Tensor)))
                .ToDictionary(s => s.Item1, s => TestTensors.ToArray(backend, s.Item2));

        public void Dispose()
        {
            Step.Dispose();
            Optimizer.Dispose();
        }
    }

    private static CheckpointInfo Info(string backbone = "conv4", int channels = 1) => new()
    {
        Backbone = backbone,
        InChannels = channels,
        InputSize = 16,
        Dataset = "fashion-mnist-small",
        K = K,
        M = M,
        Aggregation = "cat",
        Loss = "focal",
        Seed = 7,
        Epoch = 2,
        Step = 3,
        ConfigJson = """{"backbone":"conv4","k":3,"epochs":10}""",
        Extra = new Dictionary<string, string> { ["note"] = "test" },
    };

    [Test]
    public void SaveThenLoadRestoresEveryTensorBitForBitAndTrainingContinuesIdentically()
    {
        using var dir = new TempFolder();
        string path = dir.File("last.safetensors");
        using var original = new Run(_cpu, seed: 1, steps: 3);
        var stored = Checkpoint.Save(path, original.Modules, Info());

        using var restored = new Run(_cpu, seed: 99);
        var info = Checkpoint.Load(path, restored.Modules);

        var expected = original.State(_cpu);
        var actual = restored.State(_cpu);
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (name, values) in expected)
        {
            Assert.That(Bits(actual[name]), Is.EqualTo(Bits(values)), name);
        }
        Assert.That(restored.Optimizer.StepCount, Is.EqualTo(3));
        foreach (var bn in new[] { "layer1.bn", "layer4.bn" })
        {
            var counter = restored.Backbone.NamedCounters().Single(c => c.Name == bn + ".num_batches_tracked");
            Assert.That(counter.Get(), Is.EqualTo(3), bn);
        }
        Assert.That(restored.Head.Bn1.NumBatchesTracked, Is.EqualTo(3));

        Assert.That(info, Is.EqualTo(stored with { Extra = info.Extra, Optimizer = info.Optimizer }));
        Assert.That(info.Extra["note"], Is.EqualTo("test"));
        Assert.That(info.Head, Is.EqualTo("relation"));
        Assert.That(info.Optimizer!.Kind, Is.EqualTo("adam"));
        Assert.That(info.Optimizer.Steps, Is.EqualTo(3));
        Assert.That(info.Optimizer.Beta2, Is.EqualTo(0.999f));
        Assert.That(info.Optimizer.Groups.Select(g => (g.Name, g.LearningRate, g.Parameters)),
            Is.EqualTo(new[] { ("backbone", 1e-3f, 12), ("relation", 1e-3f, 6) }));
        Assert.That((DateTimeOffset.UtcNow - info.Created).TotalMinutes, Is.LessThan(10));
        Assert.That(info.ProgramVersion, Is.Not.Empty);

        // Adam's moments and step count are restored too: the next step is the same on both.
        var a = original.TrainStep(_cpu, 3);
        var b = restored.TrainStep(_cpu, 3);
        Assert.That(b.Loss, Is.EqualTo(a.Loss));
        var after = original.State(_cpu);
        foreach (var (name, values) in restored.State(_cpu))
        {
            Assert.That(Bits(values), Is.EqualTo(Bits(after[name])), name);
        }
    }

    [Test]
    public void CountersAreZeroDimensionalInt64InStateDictOrder()
    {
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        using var run = new Run(_cpu, seed: 1, steps: 2);
        Checkpoint.Save(path, run.Modules, Info());
        using var file = SafetensorsFile.Open(path);
        var entry = file["backbone.layer2.bn.num_batches_tracked"];
        Assert.That(entry.DType, Is.EqualTo(SafetensorsDType.I64));
        Assert.That(entry.Shape, Is.Empty);
        Assert.That(file.ReadI64(entry.Name), Is.EqualTo(new[] { 2L }));
        var names = file.Names.ToList();
        Assert.That(names.IndexOf("backbone.layer2.bn.num_batches_tracked"),
            Is.EqualTo(names.IndexOf("backbone.layer2.bn.running_var") + 1));
        Assert.That(names.IndexOf("relation.bn1.num_batches_tracked"),
            Is.EqualTo(names.IndexOf("relation.bn1.running_var") + 1));
        Assert.That(names, Has.Member("optimizer.backbone.0.exp_avg").And.Member("optimizer.relation.5.exp_avg_sq"));
    }

    /// <summary>
    /// Names, order and shapes of the backbone.* and relation.* tensors are those of the PyTorch state dicts that
    /// tests/reference recorded for Conv-4 and the relation head. With RELREASON_EXPORT_CHECKPOINT set, the
    /// checkpoint is also copied there for tests/reference/load_checkpoint.py (see tests/reference/README.md).
    /// </summary>
    [Test]
    public void TensorNamesOrderAndShapesAreThoseOfPyTorch()
    {
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        using var run = new Run(_cpu, seed: 1, channels: 3, steps: 2);
        Checkpoint.Save(path, run.Modules, Info(channels: 3));
        var reference = Reference.Fixture.LoadNamed("conv4_c3_bce");
        var expected = reference.Names.Where(n => n.StartsWith("init/", StringComparison.Ordinal))
            .Select(n => (n["init/".Length..], string.Join(",", reference[n].Shape)))
            .ToList();
        using var file = SafetensorsFile.Open(path);
        var actual = file.Names.Where(n => !n.StartsWith("optimizer.", StringComparison.Ordinal))
            .Select(n => (n, string.Join(",", file[n].Shape)))
            .ToList();
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(file.Names.Count(n => n.EndsWith("num_batches_tracked", StringComparison.Ordinal)), Is.EqualTo(5));

        string? export = Environment.GetEnvironmentVariable("RELREASON_EXPORT_CHECKPOINT");
        if (!string.IsNullOrEmpty(export))
        {
            File.Copy(path, export, overwrite: true);
            TestContext.Out.WriteLine($"checkpoint written to {export}");
        }
    }

    [Test]
    public void MetadataAloneIsReadable()
    {
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        using var run = new Run(_cpu, seed: 1);
        Checkpoint.Save(path, run.Modules, Info());
        var info = Checkpoint.ReadInfo(path);
        Assert.That(info.ConfigJson, Is.EqualTo("""{"backbone":"conv4","k":3,"epochs":10}"""));
        Assert.That((info.Backbone, info.InChannels, info.Epoch, info.Step, info.Seed),
            Is.EqualTo(("conv4", 1, 2, 3L, 7L)));
        Assert.That(info.Method, Is.EqualTo(Checkpoint.RelationalReasoning));
    }

    [Test]
    public void BackboneOnlyLoadIgnoresHeadAndOptimizer()
    {
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        using var run = new Run(_cpu, seed: 1, steps: 1);
        Checkpoint.Save(path, run.Modules, Info());
        var backbone = new Conv4(_cpu, 1, seed: 50);
        Checkpoint.LoadBackbone(path, backbone);
        foreach (var ((name, t), (_, u)) in run.Backbone.NamedState().Zip(backbone.NamedState()))
        {
            Assert.That(Bits(TestTensors.ToArray(_cpu, u)), Is.EqualTo(Bits(TestTensors.ToArray(_cpu, t))), name);
        }
        Assert.That(backbone.NamedCounters().First().Get(), Is.EqualTo(1));
    }

    [Test]
    public void MismatchesAreNamed()
    {
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        using var run = new Run(_cpu, seed: 1);
        Checkpoint.Save(path, run.Modules, Info());

        Rewrite(path, dir.File("resnet.safetensors"), meta: m => m["backbone"] = "resnet32");
        Assert.That(() => Checkpoint.LoadBackbone(dir.File("resnet.safetensors"), new Conv4(_cpu, 1, 0)),
            Throws.TypeOf<CheckpointException>().With.Message
                .Contains("checkpoint has backbone resnet32, the run asks for conv4"));

        Assert.That(() => Checkpoint.LoadBackbone(path, new Conv4(_cpu, 3, 0)),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("1-channel images, the run has 3-channel"));

        using var sgdRun = new Run(_cpu, seed: 1);
        using var sgd = new Sgd(_cpu, [new ParamGroup("backbone", sgdRun.Backbone.Parameters().ToList(), 0.1f)]);
        Assert.That(() => Checkpoint.Load(path, new CheckpointModules(sgdRun.Backbone, Optimizer: sgd)),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("optimiser 'adam', the run asks for 'sgd'"));

        Assert.That(() => Checkpoint.Load(path, new CheckpointModules(run.Backbone, run.Head, Checkpoint.Classifier)),
            Throws.TypeOf<CheckpointException>().With.Message
                .Contains("head 'relation', the run asks for 'classifier'"));

        Rewrite(path, dir.File("plain.safetensors"), meta: m => m.Clear());
        Assert.That(() => Checkpoint.ReadInfo(dir.File("plain.safetensors")),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("not a RelReason checkpoint"));

        Rewrite(path, dir.File("future.safetensors"), meta: m => m["format_version"] = "9");
        Assert.That(() => Checkpoint.ReadInfo(dir.File("future.safetensors")),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("format version 9"));
    }

    [Test]
    public void ShapeAndPresenceMismatchesNameTheTensor()
    {
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        using var run = new Run(_cpu, seed: 1);
        Checkpoint.Save(path, run.Modules, Info());

        // A wider layer 2 (as another width or depth of the model would have).
        string wide = dir.File("wide.safetensors");
        Rewrite(path, wide, replace: ("backbone.layer2.conv.weight", [32, 8, 3, 3]));
        Assert.That(() => Checkpoint.LoadBackbone(wide, new Conv4(_cpu, 1, 0)),
            Throws.TypeOf<CheckpointException>().With.Message.Contains(
                "tensor 'backbone.layer2.conv.weight' is F32 [32, 8, 3, 3] in the checkpoint, " +
                "the run's is F32 [16, 8, 3, 3]"));

        // A shallower model: layer 4 absent.
        string shallow = dir.File("shallow.safetensors");
        Rewrite(path, shallow, drop: "backbone.layer4.");
        Assert.That(() => Checkpoint.LoadBackbone(shallow, new Conv4(_cpu, 1, 0)),
            Throws.TypeOf<CheckpointException>().With.Message.Contains(
                "tensor 'backbone.layer4.conv.weight' is missing"));

        // A deeper model: an extra layer is refused, by the strict and the backbone-only load alike.
        string deep = dir.File("deep.safetensors");
        Rewrite(path, deep, replace: ("backbone.layer5.conv.weight", [64, 64, 3, 3]));
        using var fresh = new Run(_cpu, seed: 2);
        Assert.That(() => Checkpoint.Load(deep, fresh.Modules),
            Throws.TypeOf<CheckpointException>().With.Message
                .Contains("'backbone.layer5.conv.weight' [64, 64, 3, 3]"));
        Assert.That(() => Checkpoint.LoadBackbone(deep, new Conv4(_cpu, 1, 0)),
            Throws.TypeOf<CheckpointException>().With.Message.Contains("'backbone.layer5.conv.weight'"));
    }

    [Test]
    public void AFailedSaveKeepsThePreviousCheckpoint()
    {
        using var dir = new TempFolder();
        string path = dir.File("last.safetensors");
        using var run = new Run(_cpu, seed: 1, steps: 1);
        Checkpoint.Save(path, run.Modules, Info());
        byte[] before = File.ReadAllBytes(path);

        run.TrainStep(_cpu, 1);
        Assert.That(() => Checkpoint.Save(path, run.Modules, Info() with { Step = 4 },
                s => new SafetensorsTestFiles.FailingStream(s, before.Length / 2)),
            Throws.TypeOf<IOException>().With.Message.Contains("nothing was replaced"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(dir.Path), Is.EqualTo(new[] { path }));
        Assert.That(Checkpoint.ReadInfo(path).Step, Is.EqualTo(3));
    }

    /// <summary>Copies a checkpoint with changed metadata, a tensor replaced or added, or a prefix dropped.</summary>
    private static void Rewrite(string from, string to, Action<Dictionary<string, string>>? meta = null,
        (string Name, int[] Shape)? replace = null, string? drop = null)
    {
        using var file = SafetensorsFile.Open(from);
        var metadata = file.Metadata.ToDictionary();
        meta?.Invoke(metadata);
        var tensors = new List<SafetensorsTensor>();
        foreach (var name in file.Names)
        {
            if ((drop is not null && name.StartsWith(drop, StringComparison.Ordinal)) || name == replace?.Name)
            {
                continue;
            }
            var e = file[name];
            tensors.Add(e.DType == SafetensorsDType.I64
                ? SafetensorsTensor.I64(name, e.Shape, file.ReadI64(name))
                : SafetensorsTensor.F32(name, e.Shape, file.ReadF32(name)));
        }
        if (replace is { } r)
        {
            tensors.Add(SafetensorsTensor.F32(r.Name, r.Shape, new float[r.Shape.Aggregate(1, (a, b) => a * b)]));
        }
        SafetensorsWriter.Write(to, tensors, metadata);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
