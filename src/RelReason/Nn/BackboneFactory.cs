using RelReason.Backends;

namespace RelReason.Nn;

/// <summary>Backbones by name, as the command line and checkpoints spell them.</summary>
public static class BackboneFactory
{
    public static IReadOnlyList<string> Names { get; } = ["conv4"];

    public static Backbone Create(string name, IBackend backend, int inChannels, ulong seed) => name switch
    {
        "conv4" => new Conv4(backend, inChannels, seed),
        _ => throw new ArgumentException(
            $"unknown backbone '{name}'; expected one of: {string.Join(", ", Names)}"),
    };
}
