using RelReason.Nn;
using RelReason.Tensors;
using InformationalVersion = System.Reflection.AssemblyInformationalVersionAttribute;

namespace RelReason.Training.Checkpoints;

/// <summary>A checkpoint does not fit what the run asks of it; the message names the file and the mismatch.</summary>
public sealed class CheckpointException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>
/// The modules a checkpoint holds: the backbone (tensors "backbone.&lt;name&gt;"), an optional head
/// ("&lt;HeadName&gt;.&lt;name&gt;": "relation" for the relation head, "classifier" for a fine-tuned
/// classifier) and an optional optimiser ("optimizer.&lt;group&gt;.&lt;index&gt;.&lt;slot&gt;", e.g.
/// "optimizer.backbone.3.exp_avg").
/// </summary>
public sealed record CheckpointModules(Backbone Backbone, Module? Head = null,
    string HeadName = Checkpoint.RelationHead, Optimizer? Optimizer = null);

/// <summary>
/// Saves and loads training state as safetensors with PyTorch's state-dict names (the backbone.* tensors load
/// into the PyTorch models of tests/reference with strict=True; num_batches_tracked is a 0-d int64) and the run's
/// description in the metadata (<see cref="CheckpointInfo"/>). Writing is atomic; loading reads one tensor at a
/// time from the file and uploads it, so only the largest tensor is ever held on the host.
/// </summary>
public static class Checkpoint
{
    /// <summary>Value of the "format" metadata key that marks a RelReason checkpoint.</summary>
    public const string FormatName = "relreason-checkpoint";

    /// <summary>The layout version this code writes (and the newest it reads).</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The method name pretraining writes.</summary>
    public const string RelationalReasoning = "relational-reasoning";

    /// <summary>Tensor prefix and head name of the relation head.</summary>
    public const string RelationHead = "relation";

    /// <summary>Tensor prefix and head name of a fine-tuned linear classifier.</summary>
    public const string Classifier = "classifier";

    private const string BackbonePrefix = "backbone.";
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>
    /// Writes <paramref name="modules"/> and <paramref name="info"/> to <paramref name="path"/>, replacing it
    /// atomically. Returns the info as stored (head, optimiser, creation time and program version filled in).
    /// </summary>
    public static CheckpointInfo Save(string path, CheckpointModules modules, CheckpointInfo info) =>
        Save(path, modules, info, wrap: null);

    /// <summary>Reads the metadata alone (no tensor values), e.g. for --resume to rebuild the configuration.</summary>
    public static CheckpointInfo ReadInfo(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return CheckpointInfo.FromMetadata(file.Path, file.Metadata);
    }

    /// <summary>
    /// Restores a full training state (resume): the backbone, the head and the optimiser given in
    /// <paramref name="modules"/>, strictly. The checkpoint's backbone name, channels, head name and optimiser kind
    /// must match, every expected tensor must be present with its shape, and no unexpected tensor may sit under
    /// the loaded prefixes. Sets the optimiser's step count. Throws <see cref="CheckpointException"/> on a mismatch.
    /// </summary>
    public static CheckpointInfo Load(string path, CheckpointModules modules)
    {
        using var file = SafetensorsFile.Open(path);
        var info = CheckpointInfo.FromMetadata(file.Path, file.Metadata);
        CheckBackbone(file.Path, info, modules.Backbone);
        var expected = Expected(modules);
        if (modules.Head is not null && info.Head != modules.HeadName)
        {
            throw new CheckpointException(file.Path,
                $"checkpoint has head '{Describe(info.Head)}', the run asks for '{modules.HeadName}'");
        }
        if (modules.Optimizer is { } optimizer)
        {
            var kind = OptimizerSettings.From(optimizer).Kind;
            if (info.Optimizer?.Kind != kind)
            {
                throw new CheckpointException(file.Path,
                    $"checkpoint has optimiser '{Describe(info.Optimizer?.Kind)}', the run asks for '{kind}'");
            }
        }
        var prefixes = new List<string> { BackbonePrefix };
        if (modules.Head is not null)
        {
            prefixes.Add(modules.HeadName + ".");
        }
        if (modules.Optimizer is not null)
        {
            prefixes.Add(OptimizerPrefix);
        }
        CheckNoneUnexpected(file, prefixes, expected);
        var reader = new StateReader(file);
        reader.LoadModule(modules.Backbone, BackbonePrefix);
        if (modules.Head is not null)
        {
            reader.LoadModule(modules.Head, modules.HeadName + ".");
        }
        if (modules.Optimizer is { } opt)
        {
            foreach (var (name, tensor) in opt.NamedState())
            {
                reader.LoadTensor(OptimizerPrefix + name, tensor, opt.Backend);
            }
            opt.StepCount = checked((int)info.Optimizer!.Steps);
        }
        return info;
    }

    /// <summary>
    /// Loads only the backbone (evaluation: linear-eval, knn, embed, fine-tuning's start). The backbone name and
    /// channels must match and the backbone.* tensors must be exactly the backbone's, with its shapes; entries
    /// under other prefixes (head, optimiser) are ignored.
    /// </summary>
    public static CheckpointInfo LoadBackbone(string path, Backbone backbone)
    {
        using var file = SafetensorsFile.Open(path);
        var info = CheckpointInfo.FromMetadata(file.Path, file.Metadata);
        CheckBackbone(file.Path, info, backbone);
        CheckNoneUnexpected(file, [BackbonePrefix], Expected(new CheckpointModules(backbone)));
        new StateReader(file).LoadModule(backbone, BackbonePrefix);
        return info;
    }

    internal static CheckpointInfo Save(string path, CheckpointModules modules, CheckpointInfo info,
        Func<Stream, Stream>? wrap)
    {
        ArgumentNullException.ThrowIfNull(modules);
        ArgumentNullException.ThrowIfNull(info);
        if (info.Backbone != modules.Backbone.ArchitectureName || info.InChannels != modules.Backbone.InChannels)
        {
            throw new ArgumentException(
                $"checkpoint info says {info.Backbone} with {info.InChannels} channels, the backbone is " +
                $"{modules.Backbone.ArchitectureName} with {modules.Backbone.InChannels}");
        }
        try
        {
            System.Text.Json.JsonDocument.Parse(info.ConfigJson).Dispose();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException($"checkpoint info: ConfigJson is not valid JSON: {e.Message}", e);
        }
        var stored = info with
        {
            Head = modules.Head is null ? "" : modules.HeadName,
            Optimizer = modules.Optimizer is null ? null : OptimizerSettings.From(modules.Optimizer),
            // Milliseconds: what the metadata stores, so that the returned info equals what a load reads back.
            Created = DateTimeOffset.FromUnixTimeMilliseconds(
                (info.Created == default ? DateTimeOffset.UtcNow : info.Created).ToUnixTimeMilliseconds()),
            ProgramVersion = info.ProgramVersion.Length > 0 ? info.ProgramVersion : ProgramVersion(),
        };
        var tensors = new List<SafetensorsTensor>();
        AddModule(tensors, modules.Backbone, BackbonePrefix);
        if (modules.Head is not null)
        {
            AddModule(tensors, modules.Head, modules.HeadName + ".");
        }
        if (modules.Optimizer is { } opt)
        {
            foreach (var (name, tensor) in opt.NamedState())
            {
                tensors.Add(Produced(OptimizerPrefix + name, tensor, opt.Backend));
            }
        }
        SafetensorsWriter.Write(path, tensors, stored.ToMetadata(), wrap);
        return stored;
    }

    /// <summary>The library's informational version ("1.0.0+commit" when the build stamps one).</summary>
    public static string ProgramVersion()
    {
        var assembly = typeof(Checkpoint).Assembly;
        var stamp = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<InformationalVersion>(assembly);
        return stamp?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown";
    }

    /// <summary>
    /// Appends a module's state in PyTorch's state-dict order: each batch norm's num_batches_tracked (a 0-d
    /// int64) follows that module's running_var, as torch writes it.
    /// </summary>
    private static void AddModule(List<SafetensorsTensor> tensors, Module module, string prefix)
    {
        int start = tensors.Count;
        foreach (var (name, tensor) in module.NamedState(prefix))
        {
            tensors.Add(Produced(name, tensor, module.Backend));
        }
        foreach (var (name, get, _) in module.NamedCounters(prefix))
        {
            string owner = name[..(name.LastIndexOf('.') + 1)];
            int last = tensors.FindLastIndex(t => t.Name.StartsWith(owner, StringComparison.Ordinal));
            var counter = SafetensorsTensor.I64(name, [], new[] { get() });
            tensors.Insert(last >= start ? last + 1 : tensors.Count, counter);
        }
    }

    private static SafetensorsTensor Produced(string name, Tensor tensor, Backends.IBackend backend) =>
        SafetensorsTensor.F32(name, tensor.Shape.Dims.ToArray(), span => backend.Download(tensor, span));

    private static HashSet<string> Expected(CheckpointModules modules)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void AddModuleNames(Module m, string prefix)
        {
            names.UnionWith(m.NamedState(prefix).Select(s => s.Name));
            names.UnionWith(m.NamedCounters(prefix).Select(c => c.Name));
        }
        AddModuleNames(modules.Backbone, BackbonePrefix);
        if (modules.Head is not null)
        {
            AddModuleNames(modules.Head, modules.HeadName + ".");
        }
        if (modules.Optimizer is not null)
        {
            names.UnionWith(modules.Optimizer.NamedState().Select(s => OptimizerPrefix + s.Name));
        }
        return names;
    }

    /// <summary>PyTorch's strict loading: nothing under the loaded prefixes that the run's modules lack.</summary>
    private static void CheckNoneUnexpected(SafetensorsFile file, IReadOnlyList<string> prefixes,
        HashSet<string> expected)
    {
        var unexpected = file.Names
            .Where(n => prefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal)) && !expected.Contains(n))
            .ToList();
        if (unexpected.Count > 0)
        {
            throw new CheckpointException(file.Path,
                $"{unexpected.Count} tensor(s) the run does not have, e.g. " +
                string.Join(", ", unexpected.Take(5).Select(n => $"'{n}' {file[n].ShapeText}")) +
                " (another depth or configuration of the model?)");
        }
    }

    private static void CheckBackbone(string path, CheckpointInfo info, Backbone backbone)
    {
        if (info.Backbone != backbone.ArchitectureName)
        {
            throw new CheckpointException(path,
                $"checkpoint has backbone {info.Backbone}, the run asks for {backbone.ArchitectureName}");
        }
        if (info.InChannels != backbone.InChannels)
        {
            throw new CheckpointException(path,
                $"checkpoint's {info.Backbone} takes {info.InChannels}-channel images, the run has " +
                $"{backbone.InChannels}-channel images");
        }
    }

    private static string Describe(string? name) => string.IsNullOrEmpty(name) ? "none" : name;
}
