using RelReason.Backends;
using RelReason.Training;

namespace RelReason.Cli.Commands;

/// <summary>`relreason embed`: the frozen features of a dataset split, written to a file.</summary>
internal static class EmbedCommand
{
    internal static int Run(ArgReader args)
    {
        var source = BackboneSource.Read(args);
        string split = args.String("split", "test", "split to embed");
        string? output = args.OptionalString("out", "output file: .safetensors or .npy (required)");
        bool json = args.Flag("json", "print one JSON object as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason embed: write backbone features of a split (safetensors or .npy)\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        source.Check();
        if (output == null)
        {
            throw new UsageException("embed needs --out FILE (.safetensors or .npy)");
        }
        string ext = Path.GetExtension(output).ToLowerInvariant();
        if (ext is not (".safetensors" or ".npy"))
        {
            throw new UsageException($"--out must end in .safetensors or .npy, got '{output}'");
        }
        using var backend = BackendFactory.Create(source.Device, source.Threads, Console.Error.WriteLine);
        using var loaded = (source with { TestSplit = split }).Load(backend);
        var f = FeatureExtractor.Extract(loaded.Backbone, loaded.Test, loaded.Normalisation, source.Threads);
        if (ext == ".npy")
        {
            FeatureFiles.WriteNpy(output, f);
        }
        else
        {
            FeatureFiles.WriteSafetensors(output, f, new Dictionary<string, string>
            {
                ["backbone"] = loaded.Description,
                ["dataset"] = loaded.Test.Name,
                ["classes"] = string.Join(",", loaded.Test.ClassNames),
            });
        }
        Console.WriteLine($"wrote {output}: {f.Count} x {f.Dimension} features of {loaded.Test.Name}" +
            (f.Labels.Length > 0 && ext == ".npy" ? $", labels in {FeatureFiles.LabelsPath(output)}" : ""));
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new EmbedResult(output, f.Count, f.Dimension, loaded.Test.Name), CliJson.Default.EmbedResult));
        }
        return 0;
    }
}
