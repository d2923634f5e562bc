using System.Text;

namespace RelReason.Cli;

/// <summary>
/// A step progress bar on the bottom line of a terminal. Log lines go through <see cref="Writer"/>, which clears
/// the bar, prints the line and redraws it, so the two never mix. When output is redirected there is no bar and
/// the writer is plain standard output.
/// </summary>
internal sealed class StepBar
{
    private readonly bool _terminal = !Console.IsOutputRedirected;
    private readonly object _lock = new();
    private string _bar = "";
    private long _lastDraw;

    public StepBar() => Writer = _terminal ? new BarWriter(this) : Console.Out;

    public TextWriter Writer { get; }

    public void Show(long step, long total)
    {
        if (!_terminal)
        {
            return;
        }
        long now = Environment.TickCount64;
        if (now - _lastDraw < 100 && step < total)
        {
            return;
        }
        _lastDraw = now;
        double f = total > 0 ? (double)step / total : 0;
        int width = 40, filled = (int)(f * width);
        lock (_lock)
        {
            _bar = $"[{new string('=', filled)}{new string(' ', width - filled)}] {step}/{total} steps";
            Console.Out.Write("\r" + _bar);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            if (_terminal && _bar.Length > 0)
            {
                Console.Out.Write("\r" + new string(' ', _bar.Length) + "\r");
                _bar = "";
            }
        }
    }

    private sealed class BarWriter(StepBar owner) : TextWriter
    {
        public override Encoding Encoding => Console.Out.Encoding;

        public override void Write(char value) => Console.Out.Write(value);

        public override void WriteLine(string? value)
        {
            lock (owner._lock)
            {
                string bar = owner._bar;
                Console.Out.Write("\r" + new string(' ', bar.Length) + "\r");
                Console.Out.WriteLine(value);
                if (bar.Length > 0)
                {
                    Console.Out.Write(bar);
                }
            }
        }
    }
}
