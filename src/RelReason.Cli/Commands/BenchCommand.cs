using System.Diagnostics;
using RelReason.Backends;
using RelReason.Backends.Cuda;
using RelReason.Nn;
using RelReason.Tensors;
using RelReason.Training;

namespace RelReason.Cli.Commands;

/// <summary>`relreason bench`: time full training steps on synthetic views of a given shape.</summary>
internal static class BenchCommand
{
    internal static int Run(ArgReader args)
    {
        string backboneName = args.String("backbone", "conv4", "backbone: " + string.Join(", ", BackboneFactory.Names));
        string? stem = args.OptionalString("stem",
            $"stem of {string.Join("/", BackboneFactory.StemNames)}: {string.Join(" or ", BackboneFactory.Stems)}");
        int k = args.Int("k", 16, "views per image (K)", 2);
        int m = args.Int("m", 64, "images per step (M)", 2);
        int size = args.Int("size", 32, "input side in pixels", 1);
        int channels = args.Int("channels", 1, "input channels", 1);
        string device = args.String("device", "cpu", "auto, cpu or cuda");
        int threads = args.Int("threads", Environment.ProcessorCount, "CPU threads", 1);
        int warmup = args.Int("warmup", 2, "untimed steps first", 0);
        int steps = args.Int("steps", 10, "timed steps", 1);
        string lossName = args.String("loss", "focal", "bce or focal");
        bool json = args.Flag("json", "print one JSON object as the last line");
        bool profile = args.Flag("profile", "also run profiled steps and print time per op (slower, separate run)");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason bench: time training steps (forward, backward, Adam) on synthetic views\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        BackboneSource.CheckBackboneName(backboneName);
        ArgReader.OneOf("device", device, BackendFactory.Devices);
        var loss = lossName switch
        {
            "bce" => BinaryLossKind.Bce,
            "focal" => BinaryLossKind.Focal,
            _ => throw new UsageException($"--loss must be bce or focal, got '{lossName}'"),
        };

        // Start-up (context, libraries, PTX JIT) is reported on its own and kept out of the step times.
        long startup = Stopwatch.GetTimestamp();
        using var baseBackend = BackendFactory.Create(device, threads, Console.Error.WriteLine);
        double startupMs = Stopwatch.GetElapsedTime(startup).TotalMilliseconds;
        double moduleLoadMs = (baseBackend as CudaBackend)?.ModuleLoadMilliseconds ?? 0;
        var backend = profile ? new ProfilingBackend(baseBackend) : baseBackend;
        using var timer = BackendTimer.For(baseBackend);
        Backbone backbone;
        try
        {
            backbone = BackboneFactory.Create(backboneName, backend, channels, seed: 1, stem);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var head = new RelationHead(backend, backbone.FeatureSize, Aggregation.Cat, seed: 2);
        using var optimizer = new Adam(backend,
            [new ParamGroup("backbone", backbone.Parameters().ToList(), 1e-3f),
             new ParamGroup("relation", head.Parameters().ToList(), 1e-3f)]);
        using var step = new RelationalStep(backbone, head, optimizer, loss);
        using var views = backend.Empty(new Shape(k * m, channels, size, size));
        backend.Upload(new Nn.InitRandom(3).Normal((int)views.Length, 1.0), views);

        var times = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
            {
                BackendFactory.ResetPeak(baseBackend);
                (backend as ProfilingBackend)?.Reset();
            }
            timer.Start();
            step.Run(views, k);
            double ms = timer.Stop();
            if (i >= warmup)
            {
                times.Add(ms);
            }
        }
        times.Sort();
        double median = Percentile(times, 0.5), p90 = Percentile(times, 0.9);
        double viewsPerSecond = k * m / (median / 1000);
        long peak = BackendFactory.PeakBytes(baseBackend);
        long deviceUsed = (baseBackend as CudaBackend)?.DeviceMemoryUsedBytes ?? 0;
        var augment = BenchAugmentation.Measure(baseBackend, timer, k, m, size, channels, warmup, steps);
        string label = backbone.ArchitectureName;
        var result = new BenchResult(label, backbone.ParameterCount + head.ParameterCount, k, m,
            [channels, size, size], backend.Name, threads, median, p90, viewsPerSecond, peak,
            Process.GetCurrentProcess().PeakWorkingSet64, backend.Description, timer.Method, startupMs, moduleLoadMs,
            augment?.MedianMs ?? 0, augment?.ViewsPerSecond ?? 0, deviceUsed);

        Console.WriteLine(
            "| backbone | params | K  | M  | input      | device | threads | median ms | p90 ms | views/s |");
        Console.WriteLine($"| {label,-8} | {result.Parameters,6} | {k,2} | {m,2} | " +
            $"{channels}x{size}x{size,-6} | {backend.Name,-6} | {threads,7} | {median,9:F1} | {p90,6:F1} | " +
            $"{viewsPerSecond,7:F0} |");
        Console.WriteLine($"backend: {backend.Description}; peak tensor memory {peak / 1048576.0:F1} MiB" +
            (deviceUsed > 0 ? $" (device in use now, all clients: {deviceUsed / 1048576.0:F0} MiB)" : ""));
        Console.WriteLine($"timing: {timer.Method}, {steps} steps after {warmup} warm-up; start-up " +
            $"{startupMs:F0} ms (module load/JIT {moduleLoadMs:F0} ms), not in the step times");
        Console.WriteLine(augment is { } a
            ? $"augmentation alone: {a.MedianMs:F2} ms for {k * m} views, {a.ViewsPerSecond:F0} views/s " +
              $"({(baseBackend is CudaBackend ? "kernels/augment.cu" : $"C# augmenter, {threads} threads")})"
            : $"augmentation alone: not measured ({channels} channels; it needs 1 or 3)");
        if (backend is ProfilingBackend prof)
        {
            double total = prof.Totals.Sum(t => t.Ms);
            Console.WriteLine($"\nprofile over {steps} steps (each op synchronised; times are per step):");
            foreach (var (op, ms, calls) in prof.Totals)
            {
                Console.WriteLine(
                    $"  {op,-40} {ms / steps,9:F2} ms  {100 * ms / total,5:F1}%  {calls / steps,3} calls");
            }
        }
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, CliJson.Default.BenchResult));
        }
        return 0;
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
