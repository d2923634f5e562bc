using RelReason.Backends;

namespace RelReason.Nn;

/// <summary>Backbones by name, as the command line and checkpoints spell them.</summary>
public static class BackboneFactory
{
    /// <summary>Every name <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["conv4", "resnet8", "resnet20", "resnet32", "resnet56", "resnet18", "resnet34"];

    /// <summary>The names that take a stem option (ImageNet-style ResNets).</summary>
    public static IReadOnlyList<string> StemNames { get; } = ["resnet18", "resnet34"];

    /// <summary>Stem option values for <see cref="StemNames"/>: "imagenet" (the reference) and "small".</summary>
    public static IReadOnlyList<string> Stems { get; } = ["imagenet", "small"];

    /// <summary>
    /// A freshly initialised backbone. <paramref name="stem"/> applies to resnet18/resnet34 only: "imagenet" (the
    /// default, METHOD.md 2.3) or "small" (3x3 stride-1 stem without max pool, a departure from the reference; see
    /// <see cref="ResNetStem.Small"/>). Null means the backbone's default; any other combination throws. The stem
    /// may also be spelled into the name, "resnet18-small", which is the <see cref="Backbone.ArchitectureName"/> of
    /// such a backbone, so that a checkpoint's backbone name recreates it.
    /// </summary>
    public static Backbone Create(string name, IBackend backend, int inChannels, ulong seed, string? stem = null)
    {
        if (inChannels < 1)
        {
            throw new ArgumentException($"backbone '{name}': {inChannels} input channels, expected at least 1");
        }
        int dash = name.IndexOf('-');
        if (dash > 0 && StemNames.Contains(name[..dash]))
        {
            string spelled = name[(dash + 1)..];
            if (stem != null && stem != spelled)
            {
                throw new ArgumentException(
                    $"backbone '{name}' names stem '{spelled}' but stem '{stem}' was asked for");
            }
            (name, stem) = (name[..dash], spelled);
        }
        if (stem != null && !StemNames.Contains(name))
        {
            throw new ArgumentException(
                $"backbone '{name}' has no stem option (got '{stem}'); only {string.Join(", ", StemNames)} take one");
        }
        return name switch
        {
            "conv4" => new Conv4(backend, inChannels, seed),
            "resnet8" => ResNet.Cifar(backend, 8, inChannels, seed),
            "resnet20" => ResNet.Cifar(backend, 20, inChannels, seed),
            "resnet32" => ResNet.Cifar(backend, 32, inChannels, seed),
            "resnet56" => ResNet.Cifar(backend, 56, inChannels, seed),
            "resnet18" => ResNet.ImageNet(backend, 18, inChannels, seed, ParseStem(name, stem)),
            "resnet34" => ResNet.ImageNet(backend, 34, inChannels, seed, ParseStem(name, stem)),
            _ => throw new ArgumentException(
                $"unknown backbone '{name}'; expected one of: {string.Join(", ", Names)} " +
                $"({string.Join(" and ", StemNames)} also as <name>-small)"),
        };
    }

    private static ResNetStem ParseStem(string name, string? stem) => stem switch
    {
        null or "imagenet" => ResNetStem.ImageNet,
        "small" => ResNetStem.Small,
        _ => throw new ArgumentException(
            $"backbone '{name}': unknown stem '{stem}'; expected one of: {string.Join(", ", Stems)}"),
    };
}
