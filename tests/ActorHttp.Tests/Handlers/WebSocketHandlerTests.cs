using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers.WebSockets;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;
using ActorHttp.Testing;
using Xunit;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>WebSocket handlers tested the way users test theirs: ActorHttp.TestKit's <see cref="TestWebSocket"/>, no sockets.</summary>
[Trait("Category", "WebSocket")]
public sealed class WebSocketHandlerTests : TestKit
{
    /// <summary>A room: says who joined, relays each text to every socket in it, forgets sockets that close.</summary>
    private sealed class RoomHandler : WebSocketHandlerActor
    {
        private readonly List<IActorRef> _members = [];

        protected override IReadOnlyList<string> Subprotocols => ["room.v1"];

        protected override void OnOpened(WebSocketOpened opened)
        {
            _members.Add(opened.Socket);
            foreach (var member in _members) member.Tell(WebSocketSend.Text($"joined: {_members.Count}"));
        }

        protected override void OnMessage(IActorRef socket, WebSocketMessage message)
        {
            if (message is not WebSocketMessage.Text text)
            {
                socket.Tell(new WebSocketClose(WebSocketCloseCodes.UnsupportedData, "text only"));
                return;
            }
            foreach (var member in _members) member.Tell(WebSocketSend.Text(text.Value, ack: "relayed"));
        }

        protected override void OnClosed(WebSocketClosed closed) => _members.Remove(closed.Socket);
    }

    /// <summary>Reads every part of a streamed message and tells <paramref name="observer"/> each one, then Completed or Failed.</summary>
    private sealed class PartRecorder(IActorRef observer) : WebSocketHandlerActor
    {
        protected override void OnMessage(IActorRef socket, WebSocketMessage message) { }

        protected override void OnMessageStarted(WebSocketMessageStream.Started started) => started.Socket.Tell(WebSocketMessageStream.Read.Instance);

        protected override void OnMessagePart(IActorRef socket, ByteString bytes)
        {
            observer.Tell(bytes.ToArray());
            socket.Tell(WebSocketMessageStream.Read.Instance);
        }

        protected override void OnMessageCompleted(IActorRef socket) => observer.Tell(WebSocketMessageStream.Completed.Instance);

        protected override void OnMessageFailed(IActorRef socket, WebSocketMessageStream.Failed failed) => observer.Tell(failed);
    }

    [Fact]
    public void A_handler_of_streamed_messages_is_tested_with_the_kit_answering_its_Reads()
    {
        var socket = this.OpenWebSocket(Sys.ActorOf(Props.Create<UploadHashHandler>()), "/upload");
        var data = new byte[1 << 20];
        new Random(9).NextBytes(data);
        socket.SendStreamedBinary(data, partSize: 64 * 1024).ExpectText(Convert.ToHexString(SHA256.HashData(data)));
        var text = string.Concat(Enumerable.Repeat("a é € 😀 ", 2000));
        socket.SendStreamedText(text).ExpectText(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
        socket.SendText("small").ExpectText(Convert.ToHexString(SHA256.HashData("small"u8))); // and whole messages as ever
    }

    [Fact]
    public void The_kit_streams_text_in_parts_of_whole_characters_and_can_fail_a_message_midway()
    {
        var observer = CreateTestProbe();
        var socket = this.OpenWebSocket(Sys.ActorOf(Props.Create(() => new PartRecorder(observer.Ref))), "/upload");
        socket.SendStreamedText("ab😀cé", partSize: 3);
        Assert.Equal(["ab", "😀", "cé"], [.. Enumerable.Range(0, 3).Select(_ => Encoding.UTF8.GetString(observer.ExpectMsg<byte[]>()))]);
        observer.ExpectMsg<WebSocketMessageStream.Completed>();

        socket.SendStreamed(isText: false, [[1, 2], [3]], failWith: new WebSocketMessageStream.Failed(WebSocketClosed.AbnormalClosure, "lost"));
        Assert.Equal([1, 2], observer.ExpectMsg<byte[]>());
        Assert.Equal([3], observer.ExpectMsg<byte[]>());
        Assert.Equal(new WebSocketMessageStream.Failed(WebSocketClosed.AbnormalClosure, "lost"), observer.ExpectMsg<WebSocketMessageStream.Failed>());
        socket.ExpectNothing();
    }

    [Fact]
    public void A_WebSocketHandlerActor_refuses_a_streamed_message_with_1009_unless_it_takes_them()
    {
        var socket = this.OpenWebSocket(Sys.ActorOf(WebSocketEchoHandler.Props()), "/ws/echo");
        socket.SendStreamedBinary(new byte[100_000]).ExpectClose(WebSocketCloseCodes.MessageTooBig);
    }

    [Fact]
    public void The_echo_handler_echoes_text_and_binary()
    {
        var socket = this.OpenWebSocket(Sys.ActorOf(WebSocketEchoHandler.Props()), "/ws/echo");
        socket.SendText("hello").ExpectText("hello");
        Assert.Equal([1, 2, 3], socket.SendBinary([1, 2, 3]).ExpectBinary());
    }

    [Fact]
    public void A_handler_is_tested_with_several_sockets_its_subprotocol_and_closes()
    {
        var room = Sys.ActorOf(Props.Create(() => new RoomHandler()));
        var ada = this.OpenWebSocket(room, "/room", subprotocols: ["other", "room.v1"]);
        Assert.Equal("room.v1", ada.Subprotocol);
        ada.ExpectText("joined: 1");
        var bob = this.OpenWebSocket(room, "/room");
        Assert.Null(bob.Subprotocol);
        ada.ExpectText("joined: 2");
        bob.ExpectText("joined: 2");

        bob.SendText("hi all");
        ada.ExpectText("hi all");
        bob.ExpectText("hi all");

        bob.Close();
        ada.SendText("alone?");
        ada.ExpectText("alone?");
        bob.ExpectNothing();

        ada.SendBinary([0]).ExpectClose(WebSocketCloseCodes.UnsupportedData);
    }

    [Fact]
    public void A_plain_request_to_a_WebSocket_handler_gets_426()
    {
        var response = this.Send(Sys.ActorOf(WebSocketEchoHandler.Props()), HttpRequests.Get("/ws/echo"));
        Assert.Equal(StatusCodes.UpgradeRequired, response.Status);
        Assert.Equal("websocket", response.Header("Upgrade"));
    }
}
