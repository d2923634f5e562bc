using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RelReason.Training.Checkpoints;

namespace RelReason.Training.Reporting;

/// <summary>A checkpoint found in a run folder, with its metadata.</summary>
public sealed record RunCheckpoint(string Path, CheckpointInfo Info);

/// <summary>
/// The folder of one run: config.json (the run's options), metrics.jsonl (one line per logging step, see
/// <see cref="MetricsLog"/>), log.txt (every line given to <see cref="Log"/>, timestamped), checkpoints
/// (*.safetensors) and plots (*.png). Lines are appended and flushed one by one; config.json is replaced
/// atomically. <see cref="Log"/> and <see cref="AppendMetrics"/> may be called from any thread.
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>Name of the checkpoint that always holds the latest state.</summary>
    public const string LastCheckpointName = "last.safetensors";

    private readonly FileStream _metrics;
    private readonly FileStream _log;
    private readonly TextWriter? _echo;
    private readonly Lock _gate = new();

    private RunFolder(string path, TextWriter? echo)
    {
        Path = path;
        _echo = echo;
        _metrics = OpenAppend(MetricsPath);
        _log = OpenAppend(LogPath);
    }

    /// <summary>The folder (absolute).</summary>
    public string Path { get; }

    /// <summary>config.json in this folder.</summary>
    public string ConfigPath => File("config.json");

    /// <summary>metrics.jsonl in this folder.</summary>
    public string MetricsPath => File(MetricsLog.FileName);

    /// <summary>log.txt in this folder.</summary>
    public string LogPath => File("log.txt");

    /// <summary>"last.safetensors" in this folder.</summary>
    public string LastCheckpointPath => File(LastCheckpointName);

    /// <summary>
    /// Starts a run in a new folder <c>&lt;runsRoot&gt;/&lt;yyyyMMdd-HHmmss&gt;-&lt;name&gt;</c> (local time;
    /// "-2", "-3", ... appended if it exists). <paramref name="name"/> is reduced to letters, digits, '-', '_'
    /// and '.'. Log lines are also written to <paramref name="echo"/> (pass Console.Out, or null for silence).
    /// </summary>
    public static RunFolder Create(string runsRoot, string name, TextWriter? echo, DateTimeOffset? now = null)
    {
        string stamp = (now ?? DateTimeOffset.Now).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var kept = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray();
        string safe = new string(kept).Trim('.');
        string basePath = System.IO.Path.Combine(System.IO.Path.GetFullPath(runsRoot),
            safe.Length > 0 ? $"{stamp}-{safe}" : stamp);
        string path = basePath;
        for (int n = 2; Directory.Exists(path) || System.IO.File.Exists(path); n++)
        {
            path = $"{basePath}-{n}";
        }
        return CreateAt(path, echo);
    }

    /// <summary>Starts a run in <paramref name="folder"/>, which must not exist or be empty.</summary>
    public static RunFolder CreateAt(string folder, TextWriter? echo)
    {
        string path = System.IO.Path.GetFullPath(folder);
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new IOException(
                $"{path}: run folder is not empty; choose another folder, or resume the run that is there");
        }
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = FileInTheWay(path) is { } file ? $"{file} is a file, not a folder" : e.Message;
            throw new IOException($"{path}: cannot create the run folder: {why}", e);
        }
        return new RunFolder(path, echo);
    }

    /// <summary>The path itself or its nearest existing ancestor, when that is a regular file.</summary>
    private static string? FileInTheWay(string path)
    {
        for (string? p = path; !string.IsNullOrEmpty(p); p = System.IO.Path.GetDirectoryName(p))
        {
            if (System.IO.File.Exists(p))
            {
                return p;
            }
            if (Directory.Exists(p))
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>
    /// Continues the run in <paramref name="folder"/> from a checkpoint taken at optimiser step
    /// <paramref name="checkpointStep"/>: metrics.jsonl keeps only its lines with step &lt;= checkpointStep (so the
    /// resumed run logs no step twice), log.txt is appended to with a line saying where the run resumed.
    /// </summary>
    public static RunFolder Resume(string folder, long checkpointStep, TextWriter? echo)
    {
        string path = System.IO.Path.GetFullPath(folder);
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"{path}: no run folder to resume");
        }
        string metrics = System.IO.Path.Combine(path, MetricsLog.FileName);
        if (System.IO.File.Exists(metrics))
        {
            byte[] kept = MetricsLog.KeepUpTo(metrics, checkpointStep);
            AtomicFile.Write(metrics, s => s.Write(kept));
        }
        var run = new RunFolder(path, echo);
        run.Log($"resuming after step {checkpointStep}");
        return run;
    }

    /// <summary>The path of <paramref name="name"/> inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>"epoch-0050.safetensors": the checkpoint name for the end of an epoch.</summary>
    public string EpochCheckpointPath(int epoch) =>
        File($"epoch-{epoch.ToString("D4", CultureInfo.InvariantCulture)}.safetensors");

    /// <summary>
    /// Writes config.json (indented) atomically with a source-generated <paramref name="typeInfo"/>, and returns
    /// the compact JSON (for <see cref="CheckpointInfo.ConfigJson"/>).
    /// </summary>
    public string WriteConfig<T>(T config, JsonTypeInfo<T> typeInfo)
    {
        AtomicFile.Write(ConfigPath, s =>
        {
            using var json = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            JsonSerializer.Serialize(json, config, typeInfo);
            json.Flush();
            s.WriteByte((byte)'\n');
        });
        return JsonSerializer.Serialize(config, typeInfo);
    }

    /// <summary>Reads config.json back with a source-generated <paramref name="typeInfo"/>.</summary>
    public T ReadConfig<T>(JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(System.IO.File.ReadAllBytes(ConfigPath), typeInfo)
                ?? throw new InvalidDataException($"{ConfigPath}: holds null, expected the run's options");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{ConfigPath}: not valid run options: {e.Message}", e);
        }
    }

    /// <summary>Appends one metrics line for optimiser step <paramref name="step"/> and flushes it.</summary>
    public void AppendMetrics(long step, params (string Name, double Value)[] values)
    {
        byte[] line = MetricsLog.Format(step, DateTimeOffset.UtcNow, values);
        lock (_gate)
        {
            _metrics.Write(line);
            _metrics.Flush();
        }
    }

    /// <summary>Every complete metrics line so far (after a resume, those of the earlier run too).</summary>
    public IReadOnlyList<MetricsRecord> ReadMetrics() => MetricsLog.Read(MetricsPath);

    /// <summary>Writes <paramref name="line"/> to the echo writer and, with a UTC timestamp, to log.txt.</summary>
    public void Log(string line)
    {
        string stamped = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)
            + " " + line.Replace("\n", "\n    ", StringComparison.Ordinal) + "\n";
        lock (_gate)
        {
            _echo?.WriteLine(line);
            _log.Write(Encoding.UTF8.GetBytes(stamped));
            _log.Flush();
        }
    }

    /// <summary>
    /// The checkpoints in the folder that carry RelReason metadata, oldest step first (ties by file name).
    /// Files that cannot be read are reported through <see cref="Log"/> and left out.
    /// </summary>
    public IReadOnlyList<RunCheckpoint> ListCheckpoints()
    {
        var found = new List<RunCheckpoint>();
        foreach (string file in Directory.EnumerateFiles(Path, "*.safetensors").Order(StringComparer.Ordinal))
        {
            try
            {
                found.Add(new RunCheckpoint(file, Checkpoint.ReadInfo(file)));
            }
            catch (Exception e) when (e is IOException or CheckpointException)
            {
                Log($"skipping {System.IO.Path.GetFileName(file)}: {e.Message}");
            }
        }
        return found.OrderBy(c => c.Info.Step).ThenBy(c => c.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Closes the folder and removes a run that never started (its options or data were refused): log.txt,
    /// metrics.jsonl, config.json, and the folder itself when nothing else is in it. Best effort: what cannot be
    /// removed stays, and the failure that led here is the one reported.
    /// </summary>
    public void Discard()
    {
        Dispose();
        try
        {
            foreach (string file in new[] { LogPath, MetricsPath, ConfigPath })
            {
                System.IO.File.Delete(file);
            }
            if (!Directory.EnumerateFileSystemEntries(Path).Any())
            {
                Directory.Delete(Path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leftovers of a run that never started are harmless; the start's own error matters.
        }
    }

    /// <summary>Closes metrics.jsonl and log.txt (everything written is already flushed).</summary>
    public void Dispose()
    {
        _metrics.Dispose();
        _log.Dispose();
    }

    private static FileStream OpenAppend(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 1 << 12);
}
