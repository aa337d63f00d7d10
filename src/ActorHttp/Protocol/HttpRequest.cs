using System.Diagnostics;
using System.Net;
using System.Text;
using Akka.IO;

namespace ActorHttp.Protocol;

/// <summary>
/// An HTTP request as handler actors receive it. Immutable; the body is complete (already de-chunked), unless it is
/// large enough to be streamed (<see cref="BodyStreamed"/>).
/// </summary>
public sealed record HttpRequest
{
    /// <summary>
    /// The method, e.g. <c>GET</c>. A standard method is always the interned <see cref="HttpMethods"/> string, however it
    /// was set (routing compares methods by reference).
    /// </summary>
    public required string Method { get; init => field = HttpMethods.Normalize(value); }

    /// <summary>The request-target exactly as sent: origin-form (<c>/a?b</c>), absolute-form or <c>*</c>.</summary>
    public required string Target { get; init; }

    /// <summary>The path of the target, still percent-encoded as sent (always starts with '/', or is <c>*</c>).</summary>
    public required string Path { get; init; }

    /// <summary>The query of the target without the leading '?', or empty; still percent-encoded as sent.</summary>
    public string Query
    {
        get;
        init
        {
            field = value;
            _queryValues = default; // a copy made with `with { Query = … }` must not keep the old query's values
        }
    } = "";

    /// <summary>
    /// <see cref="Query"/> parsed into decoded name/value pairs (see <see cref="Protocol.QueryValues"/>):
    /// <c>request.QueryValues["page"]</c>, <c>GetAll("tag")</c>. Parsed on first use and kept, so requests that never ask
    /// cost nothing.
    /// </summary>
    public QueryValues QueryValues => _queryValues.Value ??= Query.Length == 0 ? QueryValues.Empty : QueryValues.Parse(Query);

    private QueryCache _queryValues;

    /// <summary>The protocol version the client used.</summary>
    public HttpProtocol Protocol { get; init; } = HttpProtocol.Http11;

    /// <summary>The header fields as received.</summary>
    public HttpHeaders Headers { get; init; } = HttpHeaders.Empty;

    /// <summary>The request body (empty when there is none, or when it is <see cref="BodyStreamed"/>).</summary>
    public ByteString Body { get; init; } = ByteString.Empty;

    /// <summary>
    /// True when the body is too large to be buffered (over <c>parsing.stream-body-threshold</c>): pull it by telling
    /// the request's Sender <c>RequestBodyStream.Read</c> (the server's streaming messages, in <c>ActorHttp.Server</c>).
    /// </summary>
    public bool BodyStreamed { get; init; }

    /// <summary>Values of the route template's <c>{param}</c> segments, percent-decoded.</summary>
    public IReadOnlyDictionary<string, string> RouteValues { get; init; } = EmptyRouteValues;

    /// <summary>The client's address, when known.</summary>
    public EndPoint? RemoteAddress { get; init; }

    /// <summary>
    /// The context of this request's server span (<c>ActorHttp.Observability.HttpTracing</c>), for a handler's own spans:
    /// <c>source.StartActivity("load order", ActivityKind.Internal, request.TraceContext)</c> makes them its children.
    /// The default (no trace) when nobody listens to the <c>ActorHttp</c> activity source or the span was not sampled.
    /// Handlers run on other threads than the connection, so <see cref="Activity.Current"/> does not carry it; this does,
    /// also across nodes for sharded routes.
    /// </summary>
    public ActivityContext TraceContext { get; init; }

    /// <summary>
    /// The <c>Last-Event-ID</c> header: the id of the last server-sent event a reconnecting client received (a browser's
    /// <c>EventSource</c> sends it), for an event stream to resume after it; null when absent.
    /// </summary>
    public string? LastEventId => Headers["Last-Event-ID"];

    /// <summary>
    /// Set on a request to a WebSocket route whose opening handshake is valid: the subprotocols and extensions the
    /// client offers. The handler answers <c>WebSocketAccept</c> (ActorHttp.Server.WebSockets) to open the socket, or
    /// any response to refuse it. Null otherwise (then the request is plain HTTP, also on a WebSocket route).
    /// </summary>
    public WebSockets.WebSocketHandshakeResult.Accepted? WebSocket { get; init; }

    /// <summary>
    /// Values request filters attached for the handler, by name (e.g. <c>ApiKeyFilter.ClientItem</c>: the name of the API key
    /// the request presented). Empty unless a filter added some with <see cref="WithItem"/>. Local to the node: a sharded
    /// route does not carry them to another node.
    /// </summary>
    public IReadOnlyDictionary<string, object> Items { get; init; } = EmptyItems;

    /// <summary>A copy of this request with <paramref name="key"/> set to <paramref name="value"/> in <see cref="Items"/>.</summary>
    public HttpRequest WithItem(string key, object value)
    {
        var items = new Dictionary<string, object>(Items, StringComparer.Ordinal) { [key] = value };
        return this with { Items = items };
    }

    /// <summary>The body decoded as UTF-8.</summary>
    public string BodyAsString() => Body.IsEmpty ? "" : Encoding.UTF8.GetString(Body.ToReadOnlySpan());

    internal static readonly IReadOnlyDictionary<string, string> EmptyRouteValues = new Dictionary<string, string>();
    private static readonly IReadOnlyDictionary<string, object> EmptyItems = new Dictionary<string, object>();

    /// <summary>
    /// Holds the parsed query once asked for. A struct that equals every other, so the cache never changes the record's
    /// equality or hash (a request equals its copy whether or not either has parsed its query), at no allocation.
    /// Two threads asking at once both parse and one result is kept: harmless, both are equal.
    /// </summary>
    private struct QueryCache : IEquatable<QueryCache>
    {
        public QueryValues? Value;
        public readonly bool Equals(QueryCache other) => true;
        public override readonly bool Equals(object? obj) => obj is QueryCache;
        public override readonly int GetHashCode() => 0;
    }

    /// <summary>A one-line summary for logs: method, target and protocol.</summary>
    public override string ToString() => $"{Method} {Target} {(Protocol == HttpProtocol.Http11 ? "HTTP/1.1" : "HTTP/1.0")}";
}
