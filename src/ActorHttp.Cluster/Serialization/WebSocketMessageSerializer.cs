using System.Runtime.Serialization;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Cluster.Serialization;

/// <summary>
/// Serializes the WebSocket messages that cross nodes, so an actor anywhere in the cluster can push to a socket held
/// by another node (<see cref="WebSocketSend"/>, <see cref="WebSocketClose"/>) and a socket's messages can reach a
/// handler on another node (<see cref="WebSocketMessage"/>, <see cref="WebSocketOpened"/>, <see cref="WebSocketClosed"/>,
/// <see cref="WebSocketAccept"/>), which may pull a streamed message from it too (<see cref="WebSocketMessageStream"/>'s
/// messages). Bound in reference.conf with identifier 8091.
/// <para>
/// Layout (version 1, integers and strings as in <see cref="HttpMessageSerializer"/>): a message is its kind byte
/// (0 text: the string; 1 binary: the bytes). A send is the message, then its ack: a flag, and when set the ack's
/// serializer id, manifest and bytes (Akka's serialization of whatever object it is). A close is code and reason.
/// Actor refs are written as their serialized paths. <see cref="WebSocketOpened"/> carries its request through the
/// HTTP message serializer, without the handshake. Of a streamed message: Started is the socket and a text flag; a part
/// its bytes; Failed code and reason; Read and Completed nothing but the version.
/// </para>
/// </summary>
public sealed class WebSocketMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The version of the format, the first byte of every payload.</summary>
    public const byte FormatVersion = 1;

    private const string TextManifest = "WT";
    private const string BinaryManifest = "WB";
    private const string SendManifest = "WS";
    private const string CloseManifest = "WC";
    private const string ClosedManifest = "WD";
    private const string OpenedManifest = "WO";
    private const string AcceptManifest = "WA";
    private const string StartedManifest = "WMS";
    private const string ReadManifest = "WMR";
    private const string PartManifest = "WMP";
    private const string CompletedManifest = "WMC";
    private const string FailedManifest = "WMF";

    private readonly HttpMessageSerializer _http;

    /// <summary>Created by Akka's serialization from the binding in reference.conf.</summary>
    public WebSocketMessageSerializer(ExtendedActorSystem system) : base(system) => _http = new HttpMessageSerializer(system);

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        WebSocketMessage.Text => TextManifest,
        WebSocketMessage.Binary => BinaryManifest,
        WebSocketSend => SendManifest,
        WebSocketClose => CloseManifest,
        WebSocketClosed => ClosedManifest,
        WebSocketOpened => OpenedManifest,
        WebSocketAccept => AcceptManifest,
        WebSocketMessageStream.Started => StartedManifest,
        WebSocketMessageStream.Read => ReadManifest,
        WebSocketMessageStream.Part => PartManifest,
        WebSocketMessageStream.Completed => CompletedManifest,
        WebSocketMessageStream.Failed => FailedManifest,
        _ => throw new ArgumentException($"{nameof(WebSocketMessageSerializer)} cannot serialize {o?.GetType().FullName ?? "null"}"),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var writer = new WireWriter(obj switch
        {
            WebSocketMessage.Binary b => 16 + b.Data.Count,
            WebSocketMessageStream.Part p => 16 + p.Bytes.Count,
            _ => 128,
        });
        writer.Byte(FormatVersion);
        switch (obj)
        {
            case WebSocketMessage message:
                WriteMessage(writer, message);
                break;
            case WebSocketSend send:
                WriteMessage(writer, send.Message);
                writer.Bool(send.Ack != null);
                if (send.Ack != null) writer.Nested(system, send.Ack);
                break;
            case WebSocketClose close:
                writer.VarInt((ulong)close.Code);
                writer.String(close.Reason);
                break;
            case WebSocketClosed closed:
                WriteRef(writer, closed.Socket);
                writer.VarInt((ulong)closed.Code);
                writer.String(closed.Reason);
                break;
            case WebSocketOpened opened:
                WriteRef(writer, opened.Socket);
                writer.Bytes(_http.ToBinary(opened.Request with { WebSocket = null }));
                writer.String(opened.Subprotocol);
                break;
            case WebSocketAccept accept:
                writer.String(accept.Subprotocol);
                writer.String(accept.Handler is null ? null : Akka.Serialization.Serialization.SerializedActorPath(accept.Handler));
                break;
            case WebSocketMessageStream.Started started:
                WriteRef(writer, started.Socket);
                writer.Bool(started.IsText);
                break;
            case WebSocketMessageStream.Part part:
                writer.Bytes(part.Bytes.IsEmpty ? [] : part.Bytes.ToReadOnlySpan());
                break;
            case WebSocketMessageStream.Failed failed:
                writer.VarInt((ulong)failed.Code);
                writer.String(failed.Reason);
                break;
            case WebSocketMessageStream.Read or WebSocketMessageStream.Completed:
                break; // the manifest says it all
            default:
                throw new ArgumentException($"{nameof(WebSocketMessageSerializer)} cannot serialize {obj?.GetType().FullName ?? "null"}");
        }
        return writer.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var reader = new WireReader(bytes, $"ActorHttp WebSocket message '{manifest}'");
        var version = reader.Byte();
        if (version != FormatVersion)
            throw new SerializationException(
                $"ActorHttp WebSocket message '{manifest}' has format version {version}, this node reads version {FormatVersion}: " +
                "are all nodes running the same ActorHttp version?");
        object message = manifest switch
        {
            TextManifest or BinaryManifest => ReadMessage(ref reader),
            SendManifest => new WebSocketSend(ReadMessage(ref reader), reader.Bool() ? reader.Nested(system) : null),
            CloseManifest => new WebSocketClose(ReadCode(ref reader), reader.String()),
            ClosedManifest => new WebSocketClosed(ReadRef(ref reader), ReadCode(ref reader), reader.String()),
            OpenedManifest => new WebSocketOpened(ReadRef(ref reader),
                (Protocol.HttpRequest)_http.FromBinary(reader.Bytes().ToArray(), "Q"), reader.NullableString()),
            AcceptManifest => new WebSocketAccept(reader.NullableString(), reader.NullableString() is { } path ? Resolve(path) : null),
            StartedManifest => new WebSocketMessageStream.Started(ReadRef(ref reader), reader.Bool()),
            ReadManifest => WebSocketMessageStream.Read.Instance,
            PartManifest => new WebSocketMessageStream.Part(ReadByteString(ref reader)),
            CompletedManifest => WebSocketMessageStream.Completed.Instance,
            FailedManifest => new WebSocketMessageStream.Failed(ReadCode(ref reader), reader.String()),
            _ => throw new SerializationException($"unknown ActorHttp WebSocket message manifest '{manifest}'"),
        };
        if (!reader.AtEnd) throw new SerializationException($"ActorHttp WebSocket message '{manifest}': unexpected bytes after the message");
        return message;
    }

    private static void WriteMessage(WireWriter writer, WebSocketMessage message)
    {
        switch (message)
        {
            case WebSocketMessage.Text text:
                writer.Byte(0);
                writer.String(text.Value);
                break;
            case WebSocketMessage.Binary binary:
                writer.Byte(1);
                writer.Bytes(binary.Data.IsEmpty ? [] : binary.Data.ToReadOnlySpan());
                break;
        }
    }

    private static WebSocketMessage ReadMessage(ref WireReader reader) => reader.Byte() switch
    {
        0 => new WebSocketMessage.Text(reader.String()),
        1 => new WebSocketMessage.Binary(ReadByteString(ref reader)),
        var kind => throw new SerializationException($"ActorHttp WebSocket message: unknown kind {kind}"),
    };

    private static ByteString ReadByteString(ref WireReader reader) =>
        reader.Bytes() is var data && data.IsEmpty ? ByteString.Empty : ByteString.FromBytes(data.ToArray());

    private static int ReadCode(ref WireReader reader)
    {
        var code = reader.VarInt();
        return code <= 65535 ? (int)code : throw new SerializationException($"ActorHttp WebSocket message: invalid close code {code}");
    }

    private static void WriteRef(WireWriter writer, IActorRef actor) => writer.String(Akka.Serialization.Serialization.SerializedActorPath(actor));

    private IActorRef ReadRef(ref WireReader reader) => Resolve(reader.String());

    private IActorRef Resolve(string path) => system.Provider.ResolveActorRef(path);
}
