using System.Runtime.Serialization;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using ActorHttp.Cluster.Serialization;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;
using Xunit;

namespace ActorHttp.Cluster.Tests.Serialization;

/// <summary>
/// The wire format of WebSocket messages between nodes: each message type round-trips through the serializer Akka picks
/// for it (bound in reference.conf), actor refs included, the pull protocol of a streamed message too; an ack of any type
/// rides along through its own serializer.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class WebSocketMessageSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("ws-serialization", ClusterHttp.DefaultConfig());

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<WebSocketMessageSerializer>(serializer);
        Assert.Equal(8091, serializer.Identifier);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return (T)_system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    private sealed record CustomAck(int Number);

    [Fact]
    public void Messages_sends_and_closes_round_trip()
    {
        Assert.Equal(new WebSocketMessage.Text("héllo 😀"), RoundTrip<WebSocketMessage>(new WebSocketMessage.Text("héllo 😀")));
        var bytes = new byte[70_000];
        new Random(1).NextBytes(bytes);
        Assert.Equal(bytes, ((WebSocketMessage.Binary)RoundTrip<WebSocketMessage>(new WebSocketMessage.Binary(bytes))).Data.ToArray());
        Assert.Equal(new WebSocketMessage.Binary(ByteString.Empty), RoundTrip<WebSocketMessage>(new WebSocketMessage.Binary(ByteString.Empty)));

        Assert.Equal(WebSocketSend.Text("pushed"), RoundTrip(WebSocketSend.Text("pushed")));
        Assert.Equal(WebSocketSend.Text("acked", "sent"), RoundTrip(WebSocketSend.Text("acked", "sent")));
        Assert.Equal(new WebSocketClose(4001, "bye ✓"), RoundTrip(new WebSocketClose(4001, "bye ✓")));
    }

    [Fact]
    public void An_ack_of_any_type_goes_through_its_own_serializer()
    {
        var back = RoundTrip(WebSocketSend.Binary([1, 2], new CustomAck(7)));
        Assert.Equal(new CustomAck(7), back.Ack);
    }

    [Fact]
    public void Actor_refs_of_sockets_and_handlers_come_back_as_the_same_actors()
    {
        var socket = _system.ActorOf(Props.Empty, "socket");
        var handler = _system.ActorOf(Props.Empty, "handler");
        Assert.Equal(new WebSocketClosed(socket, 1006, "lost"), RoundTrip(new WebSocketClosed(socket, 1006, "lost")));
        Assert.Equal(new WebSocketAccept("chat.v1", handler), RoundTrip(new WebSocketAccept("chat.v1", handler)));
        Assert.Equal(new WebSocketAccept(), RoundTrip(new WebSocketAccept()));

        var request = new HttpRequest { Method = "GET", Target = "/ws/a", Path = "/ws/a", RouteValues = new Dictionary<string, string> { ["id"] = "a" } };
        var opened = RoundTrip(new WebSocketOpened(socket, request, "chat.v1"));
        Assert.Equal((socket, "/ws/a", "a", "chat.v1"), (opened.Socket, opened.Request.Path, opened.Request.RouteValues["id"], opened.Subprotocol));
    }

    [Fact]
    public void The_messages_of_a_streamed_message_round_trip_so_a_handler_on_another_node_can_pull_it()
    {
        var socket = _system.ActorOf(Props.Empty, "streaming-socket");
        Assert.Equal(new WebSocketMessageStream.Started(socket, IsText: true), RoundTrip(new WebSocketMessageStream.Started(socket, IsText: true)));
        Assert.Same(WebSocketMessageStream.Read.Instance, RoundTrip(WebSocketMessageStream.Read.Instance));
        Assert.Same(WebSocketMessageStream.Completed.Instance, RoundTrip(WebSocketMessageStream.Completed.Instance));
        Assert.Equal(new WebSocketMessageStream.Failed(1009, "too big ✓"), RoundTrip(new WebSocketMessageStream.Failed(1009, "too big ✓")));

        var bytes = new byte[70_000];
        new Random(2).NextBytes(bytes);
        Assert.Equal(bytes, RoundTrip(new WebSocketMessageStream.Part(ByteString.FromBytes(bytes))).Bytes.ToArray());
    }

    [Fact]
    public void An_unknown_version_or_manifest_fails_clearly()
    {
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerFor(WebSocketSend.Text("x"));
        var bytes = serializer.ToBinary(WebSocketSend.Text("x"));
        bytes[0] = 9;
        Assert.Contains("format version 9", Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "WS")).Message);
        Assert.Contains("unknown", Assert.Throws<SerializationException>(() => serializer.FromBinary([1], "??")).Message);
    }
}
