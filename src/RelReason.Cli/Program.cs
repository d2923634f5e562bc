using RelReason.Cli.Commands;

namespace RelReason.Cli;

public static class Program
{
    private const string Usage = """
        relreason: self-supervised relational reasoning for image backbones

        usage: relreason <command> [options]      (relreason <command> --help for its options)

          bench        time training steps on synthetic views
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
    }
}
