using RelReason.Cli.Commands;

namespace RelReason.Cli;

public static class Program
{
    private const string Usage = """
        relreason: self-supervised relational reasoning for image backbones

        usage: relreason <command> [options]      (relreason <command> --help for its options)

          pretrain     relational-reasoning pretraining (the main job)
          linear-eval  linear classifier on a checkpoint's frozen features
          knn          nearest-neighbour accuracy and retrieval on frozen features
          finetune     train the whole network with (a fraction of) the labels
          embed        write a split's features (.safetensors or .npy)
          runs         the runs in a folder: progress, last loss and pair accuracy, evaluations
          data         fetch, describe and preview datasets
          bench        time training steps on synthetic views
          info         devices and libraries: CPU, OpenBLAS, GPU, driver, cuBLAS, cuDNN
          selftest     the CUDA backend against the CPU backend (exit 0 pass, 1 fail, 3 no GPU)
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var rest = new ArgReader(args[0], args.Skip(1));
            return args[0] switch
            {
                "bench" => BenchCommand.Run(rest),
                "pretrain" => PretrainCommand.Run(rest),
                "data" => DataCommand.Run(rest),
                "linear-eval" => LinearEvalCommand.Run(rest),
                "knn" => KnnCommand.Run(rest),
                "finetune" => FineTuneCommand.Run(rest),
                "embed" => EmbedCommand.Run(rest),
                "runs" => RunsCommand.Run(rest),
                "info" => InfoCommand.Run(rest),
                "selftest" => SelfTestCommand.Run(rest),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"relreason: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException
            or UnauthorizedAccessException or NotSupportedException or InvalidDataException
            or Training.Checkpoints.CheckpointException or Backends.Cuda.Interop.CudaException)
        {
            // Expected failures (bad input, missing files, unusable device) carry a message written for people;
            // RELREASON_DEBUG=1 shows the stack as well.
            // An ArgumentException's message ends in " (Parameter 'name')": the parameter of a library method,
            // which means nothing on the command line.
            string message = e is ArgumentException { ParamName: { } p }
                ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal)
                : e.Message;
            Console.Error.WriteLine($"relreason: {message}");
            if (Environment.GetEnvironmentVariable("RELREASON_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }
            return 1;
        }
    }
}
