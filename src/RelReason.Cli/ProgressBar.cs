namespace RelReason.Cli;

/// <summary>
/// A one-line progress bar on a terminal (redrawn with \r, at most ten times a second); when output is redirected
/// it prints a plain line at each tenth instead, so logs stay readable.
/// </summary>
internal sealed class ProgressBar
{
    private readonly bool _terminal = !Console.IsOutputRedirected;
    private long _lastDraw;
    private int _lastTenth = -1;
    private string _lastLabel = "";

    public void Show(string label, long done, long total)
    {
        double fraction = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
        if (_terminal)
        {
            long now = Environment.TickCount64;
            if (now - _lastDraw < 100 && done < total)
            {
                return;
            }
            _lastDraw = now;
            int width = 30, filled = (int)(fraction * width);
            string size = total > 0
                ? $"{done / 1048576.0:F1}/{total / 1048576.0:F1} MiB"
                : $"{done / 1048576.0:F1} MiB";
            Console.Write($"\r{label,-40} [{new string('#', filled)}{new string('.', width - filled)}] " +
                $"{100 * fraction,5:F1}% {size}   ");
            return;
        }
        int tenth = (int)(fraction * 10);
        if (tenth != _lastTenth || label != _lastLabel)
        {
            _lastTenth = tenth;
            _lastLabel = label;
            Console.WriteLine($"{label}: {100 * fraction:F0}% ({done / 1048576.0:F1} MiB)");
        }
    }

    public void Done()
    {
        if (_terminal && _lastDraw != 0)
        {
            Console.WriteLine();
        }
    }
}
