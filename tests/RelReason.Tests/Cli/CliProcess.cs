using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RelReason.Tests.Cli;

/// <summary>
/// The built CLI (relreason.dll beside the test assembly) as a child process: its standard output read line by
/// line as it comes, signals sent with kill(2), every wait bounded. Disposing kills the child if it still runs.
/// </summary>
internal sealed partial class CliProcess : IDisposable
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly List<string> _seen = [];
    private readonly StringWriterLines _errors = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    /// <summary>Every stdout line read so far, and stderr, for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_seen)
            {
                return $"--- stdout\n{string.Join('\n', _seen)}\n--- stderr\n{_errors}";
            }
        }
    }

    public static CliProcess Start(string workingDirectory, params string[] args)
    {
        string dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "relreason.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is not beside the tests");
        var info = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("the CLI did not start");
        var child = new CliProcess(process);
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._lines.CompleteAdding();
                return;
            }
            lock (child._seen)
            {
                child._seen.Add(e.Data);
            }
            child._lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) => child._errors.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Reads stdout until a line satisfies <paramref name="match"/>; fails on timeout or its end.</summary>
    public string WaitForLine(Func<string, bool> match, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            if (_lines.TryTake(out string? line, TimeSpan.FromMilliseconds(200)))
            {
                if (match(line))
                {
                    return line;
                }
            }
            else if (_lines.IsCompleted)
            {
                break;
            }
        }
        Assert.Fail($"no line showing {what} within {Patience.TotalSeconds} s (exited: {_process.HasExited})\n" +
            Transcript);
        return "";
    }

    /// <summary>Sends <paramref name="signal"/> to the child.</summary>
    public void Signal(int signal)
    {
        Assert.That(_process.HasExited, Is.False,
            $"the child ended before signal {signal} could be sent\n{Transcript}");
        if (Kill(_process.Id, signal) != 0)
        {
            Assert.Fail($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Whether the child ignores <paramref name="signal"/> (SigIgn in /proc/PID/status, Linux only).</summary>
    public bool Ignores(int signal)
    {
        string status = Path.Combine("/proc", _process.Id.ToString(), "status");
        if (!File.Exists(status))
        {
            return false;
        }
        string? mask = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return mask != null && ((Convert.ToUInt64(mask[7..].Trim(), 16) >> (signal - 1)) & 1) == 1;
    }

    /// <summary>Waits for the child to end and returns its exit code (128 + n when signal n ended it).</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(Patience))
        {
            Assert.Fail($"the child did not exit within {Patience.TotalSeconds} s\n{Transcript}");
        }
        _process.WaitForExit(); // drains the asynchronous readers
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
        // The untimed wait also lets the output readers reach the end, so no line arrives after the disposal.
        if (_process.WaitForExit(Patience))
        {
            _process.WaitForExit();
        }
        _process.Dispose();
        _lines.Dispose();
    }

    /// <summary>The dotnet host running these tests (the SDK exports it), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (host != null && File.Exists(host))
        {
            return host;
        }
        string? self = Environment.ProcessPath;
        return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Standard error lines, collected from the reader thread.</summary>
    private sealed class StringWriterLines
    {
        private readonly List<string> _lines = [];

        public void Add(string? line)
        {
            if (line != null)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }
}
