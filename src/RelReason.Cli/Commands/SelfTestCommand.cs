using System.Text.Json;
using RelReason.Diagnostics;

namespace RelReason.Cli.Commands;

/// <summary>
/// `relreason selftest`: the GPU checks of the test suite, from the published binary (no .NET SDK needed): every
/// CUDA op, one Conv-4 + relation-head step and 20 training steps against the CPU backend.
/// </summary>
internal static class SelfTestCommand
{
    internal const int ExitPassed = 0;
    internal const int ExitFailed = 1;
    internal const int ExitNoGpu = 3;

    internal static int Run(ArgReader args)
    {
        int threads = args.Int("threads", Environment.ProcessorCount, "CPU backend threads (the reference side)", 1);
        string? filter = args.OptionalString("only", "run only the cases whose name contains this text");
        bool list = args.Flag("list", "print the case names and exit");
        bool json = args.Flag("json", "also print the report as one JSON object, as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("""
                relreason selftest: the CUDA backend against the CPU backend, op by op, then one Conv-4 + relation
                head step and 20 training steps. One line per comparison: name, max abs and rel error, tolerance,
                PASS/FAIL; then "N passed, N failed".

                exit status: 0 all passed, 1 a check failed, 2 bad arguments, 3 no usable GPU (the reason is printed)

                """);
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        var cases = SelfTestSuite.Cases
            .Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        if (list)
        {
            cases.ForEach(c => Console.WriteLine(c.Name));
            return ExitPassed;
        }
        if (cases.Count == 0)
        {
            throw new UsageException($"--only '{filter}' matches no case (see relreason selftest --list)");
        }
        SelfTestReport report = SelfTestSuite.RunOnGpu(threads, cases, r => Console.WriteLine(r.Line()),
            Console.Error.WriteLine);
        if (report.Unavailable is not null)
        {
            Console.WriteLine($"selftest: {report.Unavailable}");
        }
        else
        {
            Console.WriteLine($"cpu:  {report.Reference}");
            Console.WriteLine($"cuda: {report.Candidate}");
            Console.WriteLine(report.Summary);
        }
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, DiagnosticsJson.Default.SelfTestReport));
        }
        return report.Unavailable is not null ? ExitNoGpu : report.Failed == 0 ? ExitPassed : ExitFailed;
    }
}
