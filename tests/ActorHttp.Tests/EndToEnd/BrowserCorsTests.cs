using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Actor;
using ActorHttp.Tests.Abuse;
using ActorHttp.Handlers;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Routing.Cors;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// CORS as a real browser engine enforces it: Debian's headless Chromium loads a page from one ActorHttp server
/// (<c>http://127.0.0.1:A</c>) whose script fetches from another (<c>http://127.0.0.1:B</c>, another origin by its
/// port) and writes what each fetch gave into the page, which Chromium dumps. The tests beside it check the headers;
/// this one checks that a browser reads them as meant: a preflighted PUT and an exposed header, cookies only with
/// <c>credentials: 'include'</c> and <c>AllowCredentials</c>, and refusals for an origin the policy does not list.
/// chromium-headless-shell is installed by scripts/install-tools.sh; without it the test fails.
/// </summary>
[Trait("Category", "Browser")]
public sealed partial class BrowserCorsTests(ITestOutputHelper output)
{
    private const string Chromium = "chromium-headless-shell";

    /// <summary>
    /// The page on server A. Its script fetches from <c>http://127.0.0.1:{b}</c> (<c>?b=</c> in its address: the two
    /// servers' ports are known only once both are bound), one fetch after another, and puts the outcomes as JSON into
    /// <c>&lt;pre id="out"&gt;</c>: status, body and two response headers of each fetch that succeeded, the error
    /// otherwise. The cookie it sets is for host 127.0.0.1, any port: a same-site cookie for server B too.
    /// </summary>
    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>pending</title></head>
        <body><pre id="out">pending</pre>
        <script>
        const api = 'http://127.0.0.1:' + new URLSearchParams(location.search).get('b');
        document.cookie = 'sid=from-the-page; path=/; SameSite=Lax';
        const results = {};
        async function attempt(name, path, init) {
          try {
            const response = await fetch(api + path, init);
            results[name] = {
              status: response.status,
              body: await response.text(),
              requestId: response.headers.get('x-request-id'),
              internal: response.headers.get('x-internal'),
            };
          } catch (e) {
            results[name] = { error: e.name + ': ' + e.message };
          }
        }
        const json = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'lamp' }) };
        (async () => {
          await attempt('put', '/api/items', json);
          await attempt('foreignGet', '/api/foreign');
          await attempt('foreignPut', '/api/foreign', json);
          await attempt('session', '/api/session', { credentials: 'include' });
          await attempt('sessionWithoutCredentials', '/api/session');
          await attempt('publicWithCredentials', '/api/public', { credentials: 'include' });
          document.getElementById('out').textContent = JSON.stringify(results);
          document.title = 'done';
        })().catch(e => { document.getElementById('out').textContent = JSON.stringify({ script: String(e) }); });
        </script>
        </body></html>
        """;

    /// <summary>Server B's handler: records <c>METHOD /path</c> in the signals, then answers by path.</summary>
    private sealed class ApiHandler(HandlerSignals signals) : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request)
        {
            signals.Record($"{request.Method} {request.Path}");
            Respond(request.Path switch
            {
                "/api/items" => HttpResponse.Json($$"""{"stored":{{request.BodyAsString()}}}""") with
                {
                    Headers = [new HttpHeader("X-Request-Id", "r-42"), new HttpHeader("X-Internal", "not exposed")],
                },
                "/api/session" => HttpResponse.Text(request.Headers["Cookie"] ?? "no cookie"),
                _ => HttpResponse.Text($"reached {request.Path}"),
            });
        }
    }

    [Fact]
    public async Task Headless_Chromium_honours_the_policies_of_another_origin()
    {
        var chromium = AbuseTools.RequireTool(Chromium);
        var watch = Stopwatch.StartNew();
        var profile = Directory.CreateTempSubdirectory("actorhttp-chromium-");
        TestServer? pageServer = null, apiServer = null;
        try
        {
            pageServer = await TestServer.StartAsync(routes: new Routes().Get("/page", TextHandler.Props(Page, "text/html; charset=utf-8")));
            var pageOrigin = $"http://127.0.0.1:{pageServer.Port}"; // as Chromium serializes it: no slash, the port kept
            var signals = new HandlerSignals();
            var api = Props.Create(() => new ApiHandler(signals));
            var routes = new Routes()
                .Put("/api/items", api)
                .WithCors(CorsPolicy.ForOrigins(pageOrigin) with { AllowedHeaders = ["content-type"], ExposedHeaders = ["X-Request-Id"] })
                .Concat(new Routes().Get("/api/session", api).WithCors(CorsPolicy.ForOrigins(pageOrigin) with { AllowCredentials = true }))
                .Concat(new Routes().Get("/api/public", api).WithCors(CorsPolicy.ForOrigins(pageOrigin)))
                // Another origin only: the same host and port under another name is another origin.
                .Concat(new Routes().Map([HttpMethods.Get, HttpMethods.Put], "/api/foreign", api)
                    .WithCors(CorsPolicy.ForOrigins($"http://localhost:{pageServer.Port}") with { AllowedHeaders = ["content-type"] }));
            apiServer = await TestServer.StartAsync(routes: routes, signals: signals);
            using var exchanges = new Exchanges(apiServer.System.Name);

            var url = $"{pageOrigin}/page?b={apiServer.Port}";
            var (code, dom, stderr) = await ChildProcess.RunAsync(chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={profile.FullName}",
                // The page is dumped once it has loaded and its virtual clock has run 10 s; a fetch in flight holds
                // that clock, so the dump comes after the last fetch (at once, in real time, when the script is done).
                "--virtual-time-budget=10000", "--dump-dom", url,
            ], TimeSpan.FromSeconds(60));
            var context = $"chromium exited {code} after {watch.Elapsed.TotalSeconds:F1} s\nstderr (last lines):\n" +
                          string.Join("\n", stderr.Split('\n').TakeLast(20)) + $"\ndom:\n{dom}";
            Assert.True(code == 0, context);
            var match = Output().Match(dom);
            Assert.True(match.Success, $"no <pre id=\"out\"> in the dumped page\n{context}");
            using var json = JsonDocument.Parse(WebUtility.HtmlDecode(match.Groups[1].Value));
            var results = json.RootElement;
            output.WriteLine($"chromium took {watch.Elapsed.TotalSeconds:F1} s from the servers' start; the page wrote {results}");
            Assert.True(results.TryGetProperty("put", out _), $"the script did not finish: {results}\n{context}");

            // The allowed origin: the preflight passed, the PUT ran, its body and the exposed header are readable, the
            // header the policy does not expose is not.
            var put = results.GetProperty("put");
            Assert.True(put.TryGetProperty("status", out var status) && status.GetInt32() == 200, $"put: {put}");
            Assert.Equal("""{"stored":{"name":"lamp"}}""", put.GetProperty("body").GetString());
            Assert.Equal("r-42", put.GetProperty("requestId").GetString());
            Assert.Equal(JsonValueKind.Null, put.GetProperty("internal").ValueKind);

            // Another origin only: the browser keeps the response of a simple GET from the page (the request went out:
            // CORS is the browser's to enforce) and does not send a PUT whose preflight was not allowed.
            AssertRefused(results, "foreignGet");
            AssertRefused(results, "foreignPut");

            // Credentials: the cookie goes with credentials: 'include' to a route that allows credentials, not
            // without; a route that does not allow them is refused to a credentialed fetch.
            var session = results.GetProperty("session");
            Assert.True(session.TryGetProperty("status", out status) && status.GetInt32() == 200, $"session: {session}");
            Assert.Equal("sid=from-the-page", session.GetProperty("body").GetString());
            Assert.Equal("no cookie", results.GetProperty("sessionWithoutCredentials").GetProperty("body").GetString());
            AssertRefused(results, "publicWithCredentials");

            // What reached server B: a preflight before each PUT (answered by the server, not the handler), no
            // preflight before the simple GETs, and no PUT after the refused preflight.
            var expected = new SortedDictionary<string, int>(StringComparer.Ordinal)
            {
                ["OPTIONS /api/items 204"] = 1,
                ["PUT /api/items 200"] = 1,
                ["GET /api/foreign 200"] = 1,
                ["OPTIONS /api/foreign 204"] = 1,
                ["GET /api/session 200"] = 2,
                ["GET /api/public 200"] = 1,
            };
            Assert.Equal(string.Join("\n", expected), string.Join("\n", exchanges.Snapshot()));
            Assert.Equal(1, signals.Count("PUT /api/items"));
            Assert.Equal(0, signals.Count("PUT /api/foreign"));
        }
        finally
        {
            if (apiServer != null) await apiServer.DisposeAsync();
            if (pageServer != null) await pageServer.DisposeAsync();
            try { profile.Delete(recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static void AssertRefused(JsonElement results, string name)
    {
        var result = results.GetProperty(name);
        Assert.True(result.TryGetProperty("error", out var error) && error.GetString()!.StartsWith("TypeError", StringComparison.Ordinal),
            $"{name}: the browser should have refused it, got {result}");
    }

    [GeneratedRegex("""<pre id="out">(.*?)</pre>""", RegexOptions.Singleline)]
    private static partial Regex Output();

    /// <summary>
    /// The exchanges one server answered, as <c>METHOD route status</c> with a count, from the
    /// <c>http.server.request.duration</c> it records in its connection actors (told apart from other servers in the
    /// process by their actor system). A preflight the server answers itself is counted too, which no handler sees.
    /// </summary>
    private sealed class Exchanges : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

        public Exchanges(string systemName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == HttpMetrics.MeterName && instrument.Name == "http.server.request.duration")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                if (ActorCell.GetCurrentSelfOrNoSender() is not { } self || self.Path.Address.System != systemName) return;
                string method = "?", route = "-", status = "?";
                foreach (var tag in tags)
                {
                    switch (tag.Key)
                    {
                        case "http.request.method": method = tag.Value?.ToString() ?? "?"; break;
                        case "http.route": route = tag.Value?.ToString() ?? "-"; break;
                        case "http.response.status_code": status = tag.Value?.ToString() ?? "?"; break;
                    }
                }
                _counts.AddOrUpdate($"{method} {route} {status}", 1, (_, n) => n + 1);
            });
            _listener.Start();
        }

        public SortedDictionary<string, int> Snapshot() => new(_counts, StringComparer.Ordinal);

        public void Dispose() => _listener.Dispose();
    }
}
