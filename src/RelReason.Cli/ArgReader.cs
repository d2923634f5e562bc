using System.Globalization;

namespace RelReason.Cli;

/// <summary>
/// A small "--name value" / "--flag" parser. Every option a command reads is declared with its help line, so
/// `--help` lists exactly what the command understands and an unknown option is an error, not silently ignored.
/// </summary>
public sealed class ArgReader
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<(string Name, string Help)> _declared = [];

    public ArgReader(string command, IEnumerable<string> args)
    {
        Command = command;
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(a);
                continue;
            }
            string name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = list[++i];
            }
            _values[name] = value;
        }
        HelpRequested = _values.ContainsKey("help");
        _used.Add("help");
    }

    public string Command { get; }

    public List<string> Positional { get; } = [];

    public bool HelpRequested { get; }

    /// <summary>Whether <paramref name="name"/> was on the command line (with or without a value).</summary>
    public bool Given(string name) => _values.ContainsKey(name);

    public string String(string name, string fallback, string help)
    {
        Declare(name, $"{help} (default: {fallback})");
        return _values.TryGetValue(name, out var v) ? v ?? throw Missing(name) : fallback;
    }

    public string? OptionalString(string name, string help)
    {
        Declare(name, help);
        return _values.TryGetValue(name, out var v) ? v ?? throw Missing(name) : null;
    }

    public int Int(string name, int fallback, string help, int min = int.MinValue)
    {
        Declare(name, $"{help} (default: {fallback})");
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) || x < min)
        {
            throw new UsageException($"--{name} needs an integer >= {min}, got '{v}'");
        }
        return x;
    }

    public int? OptionalInt(string name, string help, int min = int.MinValue)
    {
        Declare(name, help);
        if (!_values.ContainsKey(name))
        {
            return null;
        }
        return Int(name, 0, help, min);
    }

    /// <summary>A finite number, at least <paramref name="min"/> when one is given.</summary>
    public double Double(string name, double fallback, string help, double min = double.NegativeInfinity)
    {
        Declare(name, $"{help} (default: {fallback.ToString(CultureInfo.InvariantCulture)})");
        return _values.TryGetValue(name, out var v) ? ParseNumber(name, v, min) : fallback;
    }

    /// <summary>
    /// A finite single-precision number; the help shows the default as the float it is (0.001, not the double
    /// 0.0010000000474974513 the same float widens to).
    /// </summary>
    public float Float(string name, float fallback, string help, float min = float.NegativeInfinity)
    {
        Declare(name, $"{help} (default: {fallback.ToString(CultureInfo.InvariantCulture)})");
        return _values.TryGetValue(name, out var v) ? (float)ParseNumber(name, v, min) : fallback;
    }

    private static double ParseNumber(string name, string? v, double min)
    {
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ||
            !double.IsFinite(x) || x < min)
        {
            string bound = double.IsNegativeInfinity(min) ? "" : $" >= {min.ToString(CultureInfo.InvariantCulture)}";
            throw new UsageException($"--{name} needs a finite number{bound}, got '{v}'");
        }
        return x;
    }

    public bool Flag(string name, string help)
    {
        Declare(name, help);
        if (!_values.TryGetValue(name, out var v))
        {
            return false;
        }
        return v == null || v is "true" or "1" or "yes"
            ? true
            : v is "false" or "0" or "no" ? false : throw new UsageException($"--{name} is a flag, got '{v}'");
    }

    /// <summary>
    /// After all options are read: throws on options the command does not know, and on more than
    /// <paramref name="positionals"/> arguments that are not options (a stray word is a typo, not something to
    /// ignore).
    /// </summary>
    public void Done(int positionals = 0)
    {
        if (Positional.Count > positionals)
        {
            throw new UsageException(
                $"unexpected argument '{Positional[positionals]}' for '{Command}' (see relreason {Command} --help)");
        }
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException(
                $"unknown option{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => "--" + u))} " +
                $"for '{Command}' (see relreason {Command} --help)");
        }
    }

    /// <summary>
    /// Returns <paramref name="value"/> when it is one of <paramref name="allowed"/>; otherwise a usage error that
    /// names --<paramref name="name"/> and lists the choices, before any work starts.
    /// </summary>
    public static string OneOf(string name, string value, IEnumerable<string> allowed)
    {
        var choices = allowed.ToList();
        return choices.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new UsageException($"--{name} must be one of {string.Join(", ", choices)}; got '{value}'");
    }

    public string HelpText()
    {
        int width = _declared.Max(d => d.Name.Length) + 4;
        return string.Join(Environment.NewLine, _declared.Select(d => $"  --{d.Name.PadRight(width)}{d.Help}"));
    }

    private void Declare(string name, string help)
    {
        _used.Add(name);
        if (_declared.All(d => d.Name != name))
        {
            _declared.Add((name, help));
        }
    }

    private static UsageException Missing(string name) => new($"--{name} needs a value");
}

/// <summary>A command-line mistake: printed without a stack trace, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
