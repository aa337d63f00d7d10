using Akka.Actor;
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
