using System.Text.Json;
using RelReason.Diagnostics;

namespace RelReason.Cli.Commands;

/// <summary>`relreason info`: the runtime, the CPU and its BLAS, and the GPU or why it is not used.</summary>
internal static class InfoCommand
{
    internal static int Run(ArgReader args)
    {
        bool json = args.Flag("json", "also print the report as one JSON object, as the last line");
        if (args.HelpRequested)
        {
            Console.WriteLine("relreason info: devices and libraries this program would use\n");
            Console.WriteLine(args.HelpText());
            return 0;
        }
        args.Done();
        SystemReport report = SystemReport.Collect();
        foreach (string line in report.Lines())
        {
            Console.WriteLine(line);
        }
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, DiagnosticsJson.Default.SystemReport));
        }
        return 0;
    }
}
