using System.Text.Json;
using RelReason.Cli;

namespace RelReason.Tests.Cli;

/// <summary>What one in-process run of the CLI returned and printed.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output split into lines (CR and the progress bar's carriage returns removed).</summary>
    public IReadOnlyList<string> OutLines => Out.Split('\n')
        .Select(l => l[(l.LastIndexOf('\r') + 1)..])
        .Where(l => l.Length > 0)
        .ToList();

    /// <summary>The last line of standard output, parsed: --json promises one JSON object there.</summary>
    public JsonElement LastJson()
    {
        string last = OutLines.LastOrDefault() ?? throw new AssertionException($"no output at all\n{this}");
        using var doc = JsonDocument.Parse(last);
        Assert.That(doc.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object), $"last line is not an object\n{this}");
        return doc.RootElement.Clone();
    }

    /// <summary>Exit code and both streams, for assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs <see cref="Program.Main"/> in this process with standard output and error captured. Console writers are
/// process-wide, so runs are serialised and the fixtures that use this are [NonParallelizable].
/// </summary>
internal static class CliRunner
{
    private static readonly Lock Gate = new();

    public static CliRun Run(params string[] args)
    {
        lock (Gate)
        {
            TextWriter stdout = Console.Out, stderr = Console.Error;
            var o = new StringWriter();
            var e = new StringWriter();
            // Loader threads may warn while the main thread logs: both writers must take concurrent lines.
            Console.SetOut(TextWriter.Synchronized(o));
            Console.SetError(TextWriter.Synchronized(e));
            int code;
            try
            {
                code = Program.Main(args);
            }
            finally
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
            }
            return new CliRun(code, o.ToString(), e.ToString());
        }
    }

    /// <summary>Runs and asserts the exit code, showing everything printed when it differs.</summary>
    public static CliRun Expect(int exitCode, params string[] args)
    {
        var run = Run(args);
        Assert.That(run.ExitCode, Is.EqualTo(exitCode), $"relreason {string.Join(' ', args)}\n{run}");
        return run;
    }
}
