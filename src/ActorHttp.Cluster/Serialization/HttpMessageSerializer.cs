using System.Diagnostics;
using System.Net;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Serialization;

/// <summary>
/// Serializes the HTTP messages that cross nodes (<see cref="EntityRequest"/>, <see cref="EntityResponse"/>, and
/// <see cref="HttpRequest"/> / <see cref="HttpResponse"/> on their own) in a compact binary format, bound in
/// reference.conf with identifier 8090. Every payload starts with a format version byte; a node reading a version it
/// does not know fails with a <see cref="SerializationException"/> saying so, instead of misreading the bytes.
/// <para>
/// Layout (version 1): integers are unsigned LEB128, strings UTF-8 prefixed by length + 1 (0 = null), byte blocks
/// prefixed by length. A request is method, target, path, query, protocol byte, header count + name/value pairs,
/// body, route value count + name/value pairs, remote address (string or null); a response is status, content type,
/// header count + pairs, body, close flag. The envelopes add the entity id and correlation id in front.
/// Streamed messages cannot be serialized: their bodies are not in the message.
/// </para>
/// <para>
/// Also in version 1, for what event streams and their producers exchange across nodes: a <see cref="ServerSentEvent"/>
/// is data, event type, id (strings or null) and retry (milliseconds + 1, 0 for none), checked again when read;
/// <see cref="EventStreams.Complete"/> is nothing; the demo counter's <see cref="CounterSubscription"/> messages are the
/// subscriber's serialized actor path (<c>Subscribe</c>, <c>Unsubscribe</c>), or the counter's id and value (<c>Changed</c>).
/// </para>
/// <para>
/// Version 2 adds the request's <see cref="HttpRequest.TraceContext"/> after the remote address: the trace id (16
/// bytes), the span id (8 bytes), the trace flags (1 byte) and the trace state (string or null), so the entity's node
/// continues the trace. It is written only for a request that carries a trace context: messages without one are still
/// version 1, which nodes of the previous release read, so a rolling upgrade with tracing off loses nothing. Both
/// versions are read.
/// </para>
/// </summary>
public sealed class HttpMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The newest version of the format: written for requests that carry a trace context (others are version 1); read with version 1.</summary>
    public const byte FormatVersion = 2;

    /// <summary>The version without a trace context, written for every other message.</summary>
    public const byte UntracedFormatVersion = 1;

    private const string RequestManifest = "Q";
    private const string ResponseManifest = "R";
    private const string EntityRequestManifest = "EQ";
    private const string EntityResponseManifest = "ER";
    private const string ServerSentEventManifest = "SE";
    private const string EventStreamCompleteManifest = "SC";
    private const string CounterSubscribeManifest = "CS";
    private const string CounterUnsubscribeManifest = "CU";
    private const string CounterChangedManifest = "CC";

    /// <summary>
    /// Created by Akka's serialization from the binding in reference.conf, which also gives its identifier
    /// (<c>akka.actor.serialization-identifiers</c>, 8090).
    /// </summary>
    public HttpMessageSerializer(ExtendedActorSystem system) : base(system) { }

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        EntityRequest => EntityRequestManifest,
        EntityResponse => EntityResponseManifest,
        HttpRequest => RequestManifest,
        HttpResponse => ResponseManifest,
        ServerSentEvent => ServerSentEventManifest,
        EventStreams.Complete => EventStreamCompleteManifest,
        CounterSubscription.Subscribe => CounterSubscribeManifest,
        CounterSubscription.Unsubscribe => CounterUnsubscribeManifest,
        CounterSubscription.Changed => CounterChangedManifest,
        _ => throw new ArgumentException($"{nameof(HttpMessageSerializer)} cannot serialize {o?.GetType().FullName ?? "null"}"),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var writer = new WireWriter(EstimateSize(obj));
        var traced = obj switch
        {
            EntityRequest e => IsTraced(e.Request),
            HttpRequest r => IsTraced(r),
            _ => false,
        };
        writer.Byte(traced ? FormatVersion : UntracedFormatVersion);
        switch (obj)
        {
            case EntityRequest envelope:
                writer.String(envelope.EntityId);
                writer.VarInt((ulong)envelope.CorrelationId);
                WriteRequest(writer, envelope.Request, traced);
                break;
            case EntityResponse envelope:
                writer.VarInt((ulong)envelope.CorrelationId);
                WriteResponse(writer, envelope.Response);
                break;
            case HttpRequest request:
                WriteRequest(writer, request, traced);
                break;
            case HttpResponse response:
                WriteResponse(writer, response);
                break;
            case ServerSentEvent sse:
                writer.String(sse.Data);
                writer.String(sse.Event);
                writer.String(sse.Id);
                writer.VarInt(sse.Retry is { } retry ? (ulong)(retry.Ticks / TimeSpan.TicksPerMillisecond) + 1 : 0); // 0: none
                break;
            case EventStreams.Complete:
                break;
            case CounterSubscription.Subscribe subscribe:
                writer.String(Akka.Serialization.Serialization.SerializedActorPath(subscribe.Subscriber));
                break;
            case CounterSubscription.Unsubscribe unsubscribe:
                writer.String(Akka.Serialization.Serialization.SerializedActorPath(unsubscribe.Subscriber));
                break;
            case CounterSubscription.Changed changed:
                writer.String(changed.Id);
                writer.VarInt((ulong)changed.Value);
                break;
            default:
                throw new ArgumentException($"{nameof(HttpMessageSerializer)} cannot serialize {obj?.GetType().FullName ?? "null"}");
        }
        return writer.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var reader = new WireReader(bytes, $"ActorHttp message '{manifest}'");
        var version = reader.Byte();
        if (version is not (UntracedFormatVersion or FormatVersion))
            throw new SerializationException(
                $"ActorHttp message '{manifest}' has format version {version}, this node reads versions {UntracedFormatVersion} and {FormatVersion}: " +
                "are all nodes running the same ActorHttp version?");
        var traced = version == FormatVersion;
        object message = manifest switch
        {
            EntityRequestManifest => new EntityRequest(reader.String(), (long)reader.VarInt(), ReadRequest(ref reader, traced)),
            EntityResponseManifest => new EntityResponse((long)reader.VarInt(), ReadResponse(ref reader)),
            RequestManifest => ReadRequest(ref reader, traced),
            ResponseManifest => ReadResponse(ref reader),
            ServerSentEventManifest => ReadServerSentEvent(ref reader),
            EventStreamCompleteManifest => EventStreams.Complete.Instance,
            CounterSubscribeManifest => new CounterSubscription.Subscribe(ReadActorRef(ref reader)),
            CounterUnsubscribeManifest => new CounterSubscription.Unsubscribe(ReadActorRef(ref reader)),
            CounterChangedManifest => new CounterSubscription.Changed(reader.String(), (long)reader.VarInt()),
            _ => throw new SerializationException($"unknown ActorHttp message manifest '{manifest}'"),
        };
        if (!reader.AtEnd) throw new SerializationException($"ActorHttp message '{manifest}': unexpected bytes after the message");
        return message;
    }

    private static int EstimateSize(object obj) => obj switch
    {
        EntityRequest e => 128 + e.Request.Body.Count + e.Request.Target.Length * 2,
        EntityResponse e => 128 + e.Response.Body.Count,
        HttpRequest r => 128 + r.Body.Count + r.Target.Length * 2,
        HttpResponse r => 128 + r.Body.Count,
        ServerSentEvent e => 64 + e.Data.Length * 3,
        _ => 128,
    };

    private static bool IsTraced(HttpRequest request) => request.TraceContext != default;

    private static void WriteRequest(WireWriter writer, HttpRequest request, bool traced)
    {
        if (request.BodyStreamed)
            throw new SerializationException($"a request with a streamed body cannot cross nodes ({request}): read the body first");
        writer.String(request.Method);
        writer.String(request.Target);
        writer.String(request.Path);
        writer.String(request.Query);
        writer.Byte((byte)request.Protocol);
        writer.VarInt((ulong)request.Headers.Count);
        foreach (var header in request.Headers)
        {
            writer.String(header.Name);
            writer.String(header.Value);
        }
        WriteBody(writer, request.Body);
        writer.VarInt((ulong)request.RouteValues.Count);
        foreach (var (name, value) in request.RouteValues)
        {
            writer.String(name);
            writer.String(value);
        }
        writer.String(request.RemoteAddress switch
        {
            null => null,
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            var address => address.ToString(), // 127.0.0.1:5000, [::1]:5000
        });
        if (!traced) return;
        var context = request.TraceContext;
        Span<byte> ids = stackalloc byte[24];
        context.TraceId.CopyTo(ids[..16]);
        context.SpanId.CopyTo(ids[16..]);
        writer.Raw(ids);
        writer.Byte((byte)context.TraceFlags);
        writer.String(context.TraceState);
    }

    private static ActivityContext ReadTraceContext(ref WireReader reader)
    {
        var traceId = ActivityTraceId.CreateFromBytes(reader.Raw(16));
        var spanId = ActivitySpanId.CreateFromBytes(reader.Raw(8));
        var flags = (ActivityTraceFlags)reader.Byte();
        var state = reader.NullableString();
        if (traceId == default || spanId == default) throw new SerializationException("ActorHttp request: invalid trace context (zero trace or span id)");
        return new ActivityContext(traceId, spanId, flags, state, isRemote: true);
    }

    private static HttpRequest ReadRequest(ref WireReader reader, bool traced)
    {
        var method = reader.String(); // interned by HttpRequest.Method
        var target = reader.String();
        var path = reader.String();
        var query = reader.String();
        var protocol = reader.Byte() switch
        {
            0 => HttpProtocol.Http10,
            1 => HttpProtocol.Http11,
            var p => throw new SerializationException($"ActorHttp request: unknown protocol {p}"),
        };
        var headers = new HttpHeader[reader.Count()];
        for (var i = 0; i < headers.Length; i++) headers[i] = new HttpHeader(reader.String(), reader.String());
        var body = ReadBody(ref reader);
        var routeValueCount = reader.Count();
        var routeValues = routeValueCount == 0 ? null : new Dictionary<string, string>(routeValueCount, StringComparer.Ordinal);
        for (var i = 0; i < routeValueCount; i++) routeValues![reader.String()] = reader.String();
        var remote = reader.NullableString();
        var traceContext = traced ? ReadTraceContext(ref reader) : default;
        var request = new HttpRequest
        {
            Method = method,
            Target = target,
            Path = path,
            Query = query,
            Protocol = protocol,
            Headers = headers.Length == 0 ? HttpHeaders.Empty : HttpHeaders.From(headers),
            Body = body,
            RemoteAddress = ParseEndPoint(remote),
            TraceContext = traceContext,
        };
        return routeValues is null ? request : request with { RouteValues = routeValues };
    }

    private static EndPoint? ParseEndPoint(string? text)
    {
        if (text is null) return null;
        if (IPEndPoint.TryParse(text, out var ip)) return ip;
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), out var port) && port is >= 0 and <= 65535
            ? new DnsEndPoint(text[..colon], port)
            : throw new SerializationException($"ActorHttp request: invalid remote address '{text}'");
    }

    private static void WriteResponse(WireWriter writer, HttpResponse response)
    {
        if (response.Streamed)
            throw new SerializationException("a streamed response cannot cross nodes: its body is not in the message");
        writer.VarInt((ulong)response.Status);
        writer.String(response.ContentType);
        writer.VarInt((ulong)response.Headers.Count);
        foreach (var header in response.Headers)
        {
            writer.String(header.Name);
            writer.String(header.Value);
        }
        WriteBody(writer, response.Body);
        writer.Bool(response.CloseConnection);
    }

    private static HttpResponse ReadResponse(ref WireReader reader)
    {
        var status = reader.VarInt();
        if (status is < 100 or > 999) throw new SerializationException($"ActorHttp response: invalid status {status}");
        var contentType = reader.NullableString();
        var headers = new HttpHeader[reader.Count()];
        for (var i = 0; i < headers.Length; i++) headers[i] = new HttpHeader(reader.String(), reader.String());
        return new HttpResponse
        {
            Status = (int)status,
            ContentType = contentType,
            Headers = headers,
            Body = ReadBody(ref reader),
            CloseConnection = reader.Bool(),
        };
    }

    private static ServerSentEvent ReadServerSentEvent(ref WireReader reader)
    {
        var data = reader.String();
        var type = reader.NullableString();
        var id = reader.NullableString();
        var retry = reader.VarInt();
        if (retry > (ulong)TimeSpan.MaxValue.TotalMilliseconds) throw new SerializationException($"ActorHttp server-sent event: invalid retry {retry - 1}");
        try
        {
            return new ServerSentEvent(data, type, id, retry == 0 ? null : TimeSpan.FromMilliseconds((long)(retry - 1)));
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"ActorHttp server-sent event: {e.Message}", e);
        }
    }

    private IActorRef ReadActorRef(ref WireReader reader)
    {
        var path = reader.String();
        return system.Provider.ResolveActorRef(path);
    }

    private static void WriteBody(WireWriter writer, ByteString body)
    {
        if (body.IsEmpty) writer.Bytes([]);
        else writer.Bytes(body.ToReadOnlySpan()); // no copy for the usual single-piece body
    }

    private static ByteString ReadBody(ref WireReader reader)
    {
        var bytes = reader.Bytes();
        return bytes.IsEmpty ? ByteString.Empty : ByteString.FromBytes(bytes.ToArray());
    }
}
