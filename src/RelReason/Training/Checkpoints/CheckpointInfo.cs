using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelReason.Training.Checkpoints;

/// <summary>One optimiser parameter group as recorded in a checkpoint.</summary>
public sealed record OptimizerGroupSettings(string Name, float LearningRate, int Parameters);

/// <summary>
/// The optimiser of a checkpoint: kind ("adam" or "sgd"), completed steps (Adam's bias correction needs them)
/// and hyper-parameters. Fields that do not apply to the kind are null.
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>"adam" or "sgd".</summary>
    public required string Kind { get; init; }

    /// <summary>Completed optimiser steps (<see cref="Optimizer.StepCount"/>).</summary>
    public required long Steps { get; init; }

    /// <summary>Parameter groups in order: name, learning rate at the time of saving, parameter count.</summary>
    public required IReadOnlyList<OptimizerGroupSettings> Groups { get; init; }

    /// <summary>L2 weight decay (added to the gradient).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Adam only.</summary>
    public float? Beta1 { get; init; }

    /// <summary>Adam only.</summary>
    public float? Beta2 { get; init; }

    /// <summary>Adam only.</summary>
    public float? Eps { get; init; }

    /// <summary>SGD only.</summary>
    public float? Momentum { get; init; }

    /// <summary>SGD only.</summary>
    public bool? Nesterov { get; init; }

    /// <summary>Reads the kind, step count and hyper-parameters off a live optimiser.</summary>
    public static OptimizerSettings From(Optimizer optimizer)
    {
        var groups = optimizer.Groups
            .Select(g => new OptimizerGroupSettings(g.Name, g.LearningRate, g.Parameters.Count))
            .ToArray();
        return optimizer switch
        {
            Adam a => new OptimizerSettings
            {
                Kind = "adam", Steps = a.StepCount, Groups = groups, WeightDecay = a.WeightDecay,
                Beta1 = a.Beta1, Beta2 = a.Beta2, Eps = a.Eps,
            },
            Sgd s => new OptimizerSettings
            {
                Kind = "sgd", Steps = s.StepCount, Groups = groups, WeightDecay = s.WeightDecay,
                Momentum = s.Momentum, Nesterov = s.Nesterov,
            },
            _ => throw new ArgumentException($"no checkpoint support for optimiser {optimizer.GetType().Name}"),
        };
    }
}

/// <summary>
/// What a checkpoint says about the run that wrote it, stored as the safetensors string metadata. Fill in what
/// the run knows; <see cref="Checkpoint.Save"/> sets <see cref="Head"/>, <see cref="Optimizer"/>,
/// <see cref="Created"/> and <see cref="ProgramVersion"/> itself.
/// </summary>
public sealed record CheckpointInfo
{
    /// <summary>Layout version of the checkpoint (tensor names and metadata keys).</summary>
    public int FormatVersion { get; init; } = Checkpoint.CurrentFormatVersion;

    /// <summary>"relational-reasoning" for pretraining; other methods may write their own name.</summary>
    public string Method { get; init; } = Checkpoint.RelationalReasoning;

    /// <summary>Backbone architecture as <see cref="Nn.BackboneFactory"/> spells it ("conv4", "resnet32").</summary>
    public required string Backbone { get; init; }

    /// <summary>Image channels the backbone's first convolution takes.</summary>
    public required int InChannels { get; init; }

    /// <summary>Side of the square training views (the crop size), 0 when not relevant.</summary>
    public int InputSize { get; init; }

    /// <summary>Dataset key the run trained on ("stl10"), empty when unknown.</summary>
    public string Dataset { get; init; } = "";

    /// <summary>"relation", "classifier", or "" when the checkpoint holds the backbone alone.</summary>
    public string Head { get; init; } = "";

    /// <summary>Views per image (relational reasoning's K); 0 when not relevant.</summary>
    public int K { get; init; }

    /// <summary>Images per step (M).</summary>
    public int M { get; init; }

    /// <summary>Pair aggregation ("cat", "sum", "mean", "max").</summary>
    public string Aggregation { get; init; } = "";

    /// <summary>Loss ("bce", "focal", "cross-entropy").</summary>
    public string Loss { get; init; } = "";

    /// <summary>
    /// The run seed. Augmentation draws from a counter-based generator keyed by (Seed, epoch), so
    /// (<see cref="Seed"/>, <see cref="Epoch"/>) is all the generator state a resumed run needs.
    /// </summary>
    public long Seed { get; init; }

    /// <summary>Completed epochs: a run resumed from this checkpoint starts epoch number Epoch (0-based).</summary>
    public int Epoch { get; init; }

    /// <summary>Completed optimiser steps over the whole run (the step of the last metrics line it covers).</summary>
    public long Step { get; init; }

    /// <summary>The optimiser, or null for a checkpoint without one.</summary>
    public OptimizerSettings? Optimizer { get; init; }

    /// <summary>The run's full configuration as a JSON object (for --resume to rebuild it).</summary>
    public string ConfigJson { get; init; } = "{}";

    /// <summary>When the checkpoint was written (UTC).</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Informational version of the library that wrote it.</summary>
    public string ProgramVersion { get; init; } = "";

    /// <summary>Further string entries (e.g. an evaluation result); keys must not clash with the ones above.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    internal Dictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        var m = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Keys.Format] = Checkpoint.FormatName,
            [Keys.FormatVersion] = FormatVersion.ToString(inv),
            [Keys.Method] = Method,
            [Keys.Backbone] = Backbone,
            [Keys.InChannels] = InChannels.ToString(inv),
            [Keys.InputSize] = InputSize.ToString(inv),
            [Keys.Dataset] = Dataset,
            [Keys.Head] = Head,
            [Keys.K] = K.ToString(inv),
            [Keys.M] = M.ToString(inv),
            [Keys.Aggregation] = Aggregation,
            [Keys.Loss] = Loss,
            [Keys.Seed] = Seed.ToString(inv),
            [Keys.Epoch] = Epoch.ToString(inv),
            [Keys.Step] = Step.ToString(inv),
            [Keys.Optimizer] = Optimizer is null
                ? ""
                : JsonSerializer.Serialize(Optimizer, CheckpointJson.Default.OptimizerSettings),
            [Keys.Config] = ConfigJson,
            [Keys.Created] = Created.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", inv),
            [Keys.ProgramVersion] = ProgramVersion,
        };
        foreach (var (key, value) in Extra)
        {
            if (!m.TryAdd(key, value))
            {
                throw new ArgumentException($"checkpoint metadata: extra key '{key}' clashes with a standard key");
            }
        }
        return m;
    }

    internal static CheckpointInfo FromMetadata(string path, IReadOnlyDictionary<string, string> m)
    {
        if (!m.TryGetValue(Keys.Format, out var format) || format != Checkpoint.FormatName)
        {
            throw new CheckpointException(path,
                $"not a RelReason checkpoint (metadata '{Keys.Format}' is " +
                (format is null ? "absent" : $"'{format}'") + $", expected '{Checkpoint.FormatName}')");
        }
        int version = Int(path, m, Keys.FormatVersion);
        if (version > Checkpoint.CurrentFormatVersion || version < 1)
        {
            throw new CheckpointException(path,
                $"checkpoint format version {version}; this program reads versions " +
                $"1..{Checkpoint.CurrentFormatVersion}");
        }
        string optimizer = Text(path, m, Keys.Optimizer);
        OptimizerSettings? settings;
        try
        {
            settings = optimizer.Length == 0
                ? null
                : JsonSerializer.Deserialize(optimizer, CheckpointJson.Default.OptimizerSettings);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"metadata '{Keys.Optimizer}' is not valid: {e.Message}", e);
        }
        var known = Keys.All.ToHashSet(StringComparer.Ordinal);
        return new CheckpointInfo
        {
            FormatVersion = version,
            Method = Text(path, m, Keys.Method),
            Backbone = Text(path, m, Keys.Backbone),
            InChannels = Int(path, m, Keys.InChannels),
            InputSize = Int(path, m, Keys.InputSize),
            Dataset = Text(path, m, Keys.Dataset),
            Head = Text(path, m, Keys.Head),
            K = Int(path, m, Keys.K),
            M = Int(path, m, Keys.M),
            Aggregation = Text(path, m, Keys.Aggregation),
            Loss = Text(path, m, Keys.Loss),
            Seed = Long(path, m, Keys.Seed),
            Epoch = Int(path, m, Keys.Epoch),
            Step = Long(path, m, Keys.Step),
            Optimizer = settings,
            ConfigJson = Text(path, m, Keys.Config),
            Created = DateTimeOffset.TryParse(Text(path, m, Keys.Created), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var created) ? created : default,
            ProgramVersion = Text(path, m, Keys.ProgramVersion),
            Extra = m.Where(p => !known.Contains(p.Key))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };
    }

    private static string Text(string path, IReadOnlyDictionary<string, string> m, string key) =>
        m.TryGetValue(key, out var v) ? v : throw new CheckpointException(path, $"metadata '{key}' is missing");

    private static long Long(string path, IReadOnlyDictionary<string, string> m, string key) =>
        long.TryParse(Text(path, m, key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new CheckpointException(path, $"metadata '{key}' is '{m[key]}', expected an integer");

    private static int Int(string path, IReadOnlyDictionary<string, string> m, string key)
    {
        long v = Long(path, m, key);
        return v is >= int.MinValue and <= int.MaxValue
            ? (int)v
            : throw new CheckpointException(path, $"metadata '{key}' is {v}, out of range");
    }

    /// <summary>Metadata keys of format version 1.</summary>
    internal static class Keys
    {
        public const string Format = "format";
        public const string FormatVersion = "format_version";
        public const string Method = "method";
        public const string Backbone = "backbone";
        public const string InChannels = "in_channels";
        public const string InputSize = "input_size";
        public const string Dataset = "dataset";
        public const string Head = "head";
        public const string K = "k";
        public const string M = "m";
        public const string Aggregation = "aggregation";
        public const string Loss = "loss";
        public const string Seed = "seed";
        public const string Epoch = "epoch";
        public const string Step = "step";
        public const string Optimizer = "optimizer";
        public const string Config = "config";
        public const string Created = "created";
        public const string ProgramVersion = "program_version";

        public static readonly string[] All =
        [
            Format, FormatVersion, Method, Backbone, InChannels, InputSize, Dataset, Head, K, M, Aggregation, Loss,
            Seed, Epoch, Step, Optimizer, Config, Created, ProgramVersion,
        ];
    }
}

/// <summary>Source-generated JSON for checkpoint metadata (trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OptimizerSettings))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
