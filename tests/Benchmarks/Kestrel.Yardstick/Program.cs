// Kestrel yardstick: the fastest reasonable ASP.NET Core app serving the same responses as the
// ActorHttp node, used by tests/Benchmarks/run-bench.sh as the reference point.
//
//   GET  /plaintext -> 200 text/plain "Hello, World!" (13 bytes)
//   GET  /health    -> 200 text/plain "OK"
//   POST /echo      -> 200, the request body, with the request's Content-Type
//                      (application/octet-stream when it has none)
//   GET  /body10k   -> 200 text/plain, the bytes of WWW/body10k.txt, read once at start (with --www)
//   GET  /static/*  -> files under WWW through ASP.NET Core's static file middleware (with --www)
//   GET  /staticgz/* -> the same files through the response compression middleware: gzip at CompressionLevel.Fastest
//                      when the request accepts it and the type is compressible (text/html...), on every request
//   GET  /ws/echo   -> a WebSocket (UseWebSockets) echoing every text and binary message, fragments as they come
//   anything else   -> 404 (405 for a known path with the wrong method)
//
// Usage: dotnet Kestrel.Yardstick.dll [--port N] [--www DIR] [--ask]   (default port 5080, binds 127.0.0.1 only)
//   --ask   Kestrel+Ask: GET /plaintext Asks one shared actor for the body (AskMode.cs); everything else unchanged

using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var port = 5080;
string? www = null;
var ask = false;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--www" && i + 1 < args.Length && Directory.Exists(args[i + 1]))
    {
        www = Path.GetFullPath(args[i + 1]);
        i++;
    }
    else if (args[i] == "--port" && i + 1 < args.Length && int.TryParse(args[i + 1], out var p) && p is > 0 and < 65536)
    {
        port = p;
        i++;
    }
    else if (args[i].StartsWith("--port=", StringComparison.Ordinal) && int.TryParse(args[i]["--port=".Length..], out var q) && q is > 0 and < 65536)
    {
        port = q;
    }
    else if (args[i] == "--ask")
    {
        ask = true;
    }
    else
    {
        Console.Error.WriteLine($"usage: Kestrel.Yardstick [--port N] [--www DIR] [--ask]   (unknown or bad argument: {args[i]})");
        return 2;
    }
}

// Empty builder: no logging providers, no configuration sources beyond what we set, no host filtering.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore();
builder.WebHost.ConfigureKestrel(o =>
{
    o.Listen(IPAddress.Loopback, port, lo => lo.Protocols = HttpProtocols.Http1);
    o.AddServerHeader = false;
    o.AllowSynchronousIO = false;
    o.Limits.MinRequestBodyDataRate = null;
    o.Limits.MinResponseDataRate = null;
});

// Like the TechEmpower platform app: allocate the receive buffer up front rather than waiting for data first.
// UnsafePreferInlineScheduling is left off: measured on this 2-core VM it cut pipelined throughput ~7x.
// Backlog 4096 like ActorHttp's and nginx's in the benchmark: the 4,000-connection scenario opens them at once.
builder.WebHost.UseSockets(o =>
{
    o.WaitForDataBeforeAllocatingBuffer = false;
    o.Backlog = 4096;
});

// /staticgz: gzip only (the benchmark's client accepts nothing else), at the level nginx's `gzip on` defaults to (1).
builder.Services.AddResponseCompression(o => o.Providers.Add<GzipCompressionProvider>());
builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);

var app = builder.Build();

// The 10,000-byte body and the static files come from the directory run-bench.sh generates, so all servers
// serve the same bytes.
var body10k = www != null && File.Exists(Path.Combine(www, "body10k.txt")) ? File.ReadAllBytes(Path.Combine(www, "body10k.txt")) : null;
if (www != null)
{
    app.UseStaticFiles(new StaticFileOptions
    {
        FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(www),
        RequestPath = "/static",
    });
    // Compression under /staticgz only: /static and every other path keep their uncompressed responses.
    app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/staticgz"), gz =>
    {
        gz.UseResponseCompression();
        gz.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(www),
            RequestPath = "/staticgz",
        });
    });
}

// WebSockets as ASP.NET Core documents them: the middleware's defaults (keep-alive ping every 2 minutes), and for
// /ws/echo below the echo loop of its sample. Like ActorHttp's /ws/echo: no subprotocol, no compression.
app.UseWebSockets();

// Kestrel+Ask: /plaintext through an actor's Ask (AskMode.cs). Without --ask the pipeline is the one above and below.
if (ask) AskMode.Use(app);

// Raw terminal middleware writing pre-encoded bytes: no routing, no endpoint metadata.
app.Run(ctx =>
{
    var req = ctx.Request;
    var path = req.Path.Value;
    var res = ctx.Response;

    if (path == "/ws/echo")
    {
        if (ctx.WebSockets.IsWebSocketRequest) return WebSocketEcho(ctx);
        res.StatusCode = StatusCodes.Status426UpgradeRequired;
        res.ContentLength = 0;
        return Task.CompletedTask;
    }

    if (path == "/plaintext")
    {
        if (!HttpMethods.IsGet(req.Method) && !HttpMethods.IsHead(req.Method)) return MethodNotAllowed(res, "GET, HEAD");
        return WriteFixed(res, Payloads.HelloWorld);
    }
    if (path == "/health")
    {
        if (!HttpMethods.IsGet(req.Method) && !HttpMethods.IsHead(req.Method)) return MethodNotAllowed(res, "GET, HEAD");
        return WriteFixed(res, Payloads.Ok);
    }
    if (path == "/body10k" && body10k != null)
    {
        if (!HttpMethods.IsGet(req.Method) && !HttpMethods.IsHead(req.Method)) return MethodNotAllowed(res, "GET, HEAD");
        return WriteFixed(res, body10k);
    }
    if (path == "/echo")
    {
        if (!HttpMethods.IsPost(req.Method)) return MethodNotAllowed(res, "POST");
        return Echo(ctx);
    }

    res.StatusCode = StatusCodes.Status404NotFound;
    res.ContentLength = 0;
    return Task.CompletedTask;
});

await app.StartAsync();
Console.WriteLine($"listening on http://127.0.0.1:{port}{(ask ? " (--ask: /plaintext through an actor's Ask)" : "")}");
await app.WaitForShutdownAsync();
return 0;

static Task WriteFixed(HttpResponse res, byte[] body)
{
    res.StatusCode = StatusCodes.Status200OK;
    res.Headers.ContentType = Payloads.TextPlain;
    res.ContentLength = body.Length;
    return res.BodyWriter.WriteAsync(body).GetAsTask();
}

static Task MethodNotAllowed(HttpResponse res, string allow)
{
    res.StatusCode = StatusCodes.Status405MethodNotAllowed;
    res.Headers.Allow = allow;
    res.ContentLength = 0;
    return Task.CompletedTask;
}

static async Task Echo(HttpContext ctx)
{
    var req = ctx.Request;
    var res = ctx.Response;
    res.StatusCode = StatusCodes.Status200OK;
    res.Headers.ContentType = string.IsNullOrEmpty(req.ContentType) ? Payloads.OctetStream : req.ContentType;

    if (req.ContentLength is { } len)
    {
        // Known length: answer with the same Content-Length and stream the body straight through.
        res.ContentLength = len;
        if (len > 0) await req.BodyReader.CopyToAsync(res.BodyWriter);
    }
    else
    {
        // Chunked request: buffer it so the response carries a Content-Length as well.
        using var ms = new MemoryStream();
        await req.Body.CopyToAsync(ms);
        res.ContentLength = ms.Length;
        if (ms.Length > 0) await res.BodyWriter.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length));
    }
}

// The echo loop of the ASP.NET Core WebSockets sample, on the Memory<byte> overloads (no allocation per message):
// one 4 KB buffer per socket, each piece sent back as it arrives (a message longer than the buffer goes back in
// fragments), the client's Close answered with its own status.
static async Task WebSocketEcho(HttpContext ctx)
{
    using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
    var buffer = new byte[4096];
    try
    {
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(socket.CloseStatus ?? System.Net.WebSockets.WebSocketCloseStatus.NormalClosure,
                    socket.CloseStatusDescription, CancellationToken.None);
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }
    catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or OperationCanceledException)
    {
        // The client went away without a Close frame (a benchmark client being stopped): nothing to answer.
    }
}

static class Payloads
{
    public static readonly byte[] HelloWorld = "Hello, World!"u8.ToArray();
    public static readonly byte[] Ok = "OK"u8.ToArray();
    public const string TextPlain = "text/plain";
    public const string OctetStream = "application/octet-stream";
}

static class ValueTaskExtensions
{
    public static Task GetAsTask(this ValueTask<System.IO.Pipelines.FlushResult> vt)
        => vt.IsCompletedSuccessfully ? Task.CompletedTask : vt.AsTask();
}
