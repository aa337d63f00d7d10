// SocketLoad: the load client of tests/Benchmarks/run-bench.sh for WebSocket echo and server-sent event fan-out.
//
//   SocketLoad ws-echo --port N [--path /ws/echo] [--connections 64] [--pipeline 1] [--size 32]
//                      [--warmup 1] [--duration 5] [--host 127.0.0.1]
//   SocketLoad sse-fanout --port N [--id bench] [--subscribers 1000] [--warmup 1] [--duration 5] [--rate 0]
//                      [--events-path /counters/{id}/events] [--post-path /counters/{id}] [--host 127.0.0.1]
//
// Prints "key=value" lines (run-bench.sh keeps them, bench_report.py reads them): msgs_per_s, p50_ms, p99_ms, errors,
// the client's own CPU (client_cpu_pct, of all cores: 100 is one core) and allocations per message. Exit status 0
// with a result, 1 without, 2 for bad arguments, 3 when sse-fanout finds no event stream at the route (skipped=).

using SocketLoad;

// Socket continuations run on the epoll threads, as wrk's event loop does, rather than hopping to the thread pool:
// measured on 2 cores, the hop cost the client more CPU per message and capped the rate at under half (both servers).
// Read when the first socket is made, so it must be set before that.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

if (args.Length == 0 || args[0] is "-h" or "--help") return Options.Usage(null);
var options = Options.Parse(args.AsSpan(1));
if (options == null) return Options.Usage("arguments come as --name value pairs");
return args[0] switch
{
    "ws-echo" => await WsEcho.MainAsync(options),
    "sse-fanout" => await SseFanout.MainAsync(options),
    _ => Options.Usage($"unknown command {args[0]}"),
};

namespace SocketLoad
{
    internal sealed class Options(Dictionary<string, string> values)
    {
        public static Options? Parse(ReadOnlySpan<string> args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < args.Length; i++)
            {
                var a = args[i];
                if (!a.StartsWith("--", StringComparison.Ordinal)) return null;
                var eq = a.IndexOf('=');
                if (eq > 0) values[a[2..eq]] = a[(eq + 1)..];
                else if (i + 1 < args.Length) values[a[2..]] = args[++i];
                else return null;
            }
            return new Options(values);
        }

        public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);

        public int Int(string name, int fallback) =>
            values.TryGetValue(name, out var v) ? (int.TryParse(v, out var i) ? i : -1) : fallback;

        public double Double(string name, double fallback) =>
            values.TryGetValue(name, out var v)
                ? (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : -1)
                : fallback;

        public static int Usage(string? error)
        {
            if (error != null) Console.Error.WriteLine($"error: {error}");
            Console.Error.WriteLine("""
                usage: SocketLoad ws-echo --port N [--path /ws/echo] [--connections 64] [--pipeline 1] [--size 32]
                                          [--warmup 1] [--duration 5] [--host 127.0.0.1]
                       SocketLoad sse-fanout --port N [--id bench] [--subscribers 1000] [--warmup 1] [--duration 5]
                                          [--rate 0] [--events-path /counters/{id}/events] [--post-path /counters/{id}]
                """);
            return 2;
        }
    }
}
