using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RelReason.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 for download tests: GET only, one request per connection, optional
/// "Range: bytes=N-" support, and routes that cut the connection part-way through the body a set number of times.
/// </summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, Route> _routes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackHttpServer()
    {
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _loop = Task.Run(AcceptLoop);
    }

    public string BaseUrl { get; }

    /// <summary>Every request seen: path and Range header (null when absent).</summary>
    public ConcurrentQueue<(string Path, string? Range)> Requests { get; } = new();

    /// <summary>Serves <paramref name="body"/> at /<paramref name="name"/>.</summary>
    /// <param name="cutAfter">When >= 0, the first <paramref name="cuts"/> responses stop after this many body
    /// bytes and close the connection although Content-Length promised more.</param>
    public void Serve(string name, byte[] body, int cutAfter = -1, int cuts = 0, bool ranges = true) =>
        _routes[name] = new Route(body, cutAfter, cuts, ranges);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener's cancellation error; nothing to report.
        }
        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            using (client)
            {
                try
                {
                    await Handle(client.GetStream());
                }
                catch (IOException)
                {
                    // The client went away; serve the next one.
                }
            }
        }
    }

    private async Task Handle(NetworkStream stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var head = new StringBuilder();
        var one = new byte[1];
        // Headers end with an empty line; 16 KiB is far more than any test request needs.
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 16384)
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
            {
                return;
            }
            head.Append((char)one[0]);
        }
        string[] lines = head.ToString().Split("\r\n");
        string path = lines[0].Split(' ')[1].TrimStart('/');
        string? range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))
            ?.Split(':', 2)[1].Trim();
        Requests.Enqueue((path, range));

        if (!_routes.TryGetValue(path, out var route))
        {
            await Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", [],
                timeout.Token);
            return;
        }
        long from = 0;
        if (range is not null && route.Ranges && range.StartsWith("bytes=", StringComparison.Ordinal)
            && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1]);
        }
        byte[] body = route.Body[(int)from..];
        int last = route.Body.Length - 1;
        string status = from > 0
            ? $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{last}/{route.Body.Length}\r\n"
            : "HTTP/1.1 200 OK\r\n";
        string headers = status + $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        if (route.CutsLeft > 0 && route.CutAfter >= 0)
        {
            route.CutsLeft--;
            await Write(stream, headers, body[..Math.Min(route.CutAfter, body.Length)], timeout.Token);
            // Closing now leaves the client short of Content-Length: an interrupted transfer.
            return;
        }
        await Write(stream, headers, body, timeout.Token);
    }

    private static async Task Write(NetworkStream stream, string headers, byte[] body, CancellationToken cancel)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(headers), cancel);
        await stream.WriteAsync(body, cancel);
        await stream.FlushAsync(cancel);
    }

    private sealed class Route(byte[] body, int cutAfter, int cuts, bool ranges)
    {
        public byte[] Body { get; } = body;

        public int CutAfter { get; } = cutAfter;

        public int CutsLeft { get; set; } = cuts;

        public bool Ranges { get; } = ranges;
    }
}
