using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.Connection;

[Trait("Category", "Connection")]
public sealed class RequestBodyPumpTests
{
    private readonly RequestBodyPump _pump = new();
    private readonly RecordingActorRef _handler = new("handler");

    private static ByteString Bytes(int count) => ByteString.FromBytes(new byte[count]);

    [Fact]
    public void Parts_are_served_one_per_read_then_completed()
    {
        _pump.Start(sequence: 3, keepAlive: true);
        Assert.True(_pump.OnRead(3, _handler, now: 0)); // a Read before any part waits
        Assert.Empty(_handler.Received);
        Assert.False(_pump.OnPart(Bytes(10), last: false));
        Assert.Equal(10, Assert.IsType<RequestBodyStream.Part>(Assert.Single(_handler.Received)).Bytes.Count);

        Assert.False(_pump.OnPart(Bytes(5), last: true)); // keep-alive: parsing goes on after the body
        Assert.True(_pump.Paused); // complete, but the handler has not read to the end: nothing after it is parsed
        _pump.OnRead(3, _handler, now: 0);
        _pump.OnRead(3, _handler, now: 0);
        Assert.IsType<RequestBodyStream.Part>(_handler.Received[1]);
        Assert.IsType<RequestBodyStream.Completed>(_handler.Received[2]);
        Assert.False(_pump.Paused);
        Assert.False(_pump.Streaming);
    }

    [Fact]
    public void The_last_part_of_a_closing_request_stops_parsing()
    {
        _pump.Start(0, keepAlive: false);
        Assert.True(_pump.OnPart(Bytes(1), last: true));
    }

    [Fact]
    public void A_full_window_unread_pauses_reading_and_a_read_resumes_it()
    {
        _pump.Start(0, keepAlive: true);
        for (var i = 0; i < RequestBodyPump.Window / 16_384; i++) _pump.OnPart(Bytes(16_384), last: false);
        Assert.True(_pump.Paused);
        _pump.NotePaused(now: 1_000);
        _pump.OnRead(0, _handler, now: 4_000); // the handler kept the socket unread for 3 s: the client is not to blame
        Assert.False(_pump.Paused);
        Assert.Equal(3_000 + RequestBodyPump.Window * 1000L / 240, _pump.Allowance(minRate: 240));
    }

    [Fact]
    public void A_failed_body_answers_the_waiting_read_and_every_later_one()
    {
        _pump.Start(2, keepAlive: true);
        _pump.OnRead(2, _handler, now: 0);
        var (sequence, response) = _pump.Fail(413, "too large");
        Assert.Equal(2, sequence);
        Assert.Equal(413, response.Status);
        Assert.True(response.CloseConnection);
        Assert.False(_pump.OnRead(2, _handler, now: 0));
        Assert.All(_handler.Received, m => Assert.Equal(413, Assert.IsType<RequestBodyStream.Failed>(m).Status));
        Assert.Equal(2, _handler.Received.Count);
        Assert.True(_pump.EndFor(2)); // its response closes the connection
    }

    [Fact]
    public void A_response_before_the_body_is_all_read_abandons_it_and_closes()
    {
        _pump.Start(1, keepAlive: true);
        _pump.OnPart(Bytes(10), last: false);
        Assert.True(_pump.EndFor(1));
        Assert.False(_pump.OnRead(1, _handler, now: 0));
        Assert.Contains("already sent", Assert.IsType<RequestBodyStream.Failed>(Assert.Single(_handler.Received)).Reason);
        Assert.False(_pump.OnPart(Bytes(10), last: true)); // the rest is never handed to anyone
    }

    [Fact]
    public void A_response_after_the_whole_body_arrived_keeps_the_connection()
    {
        _pump.Start(1, keepAlive: true);
        _pump.OnPart(Bytes(10), last: true);
        Assert.False(_pump.EndFor(1));
        Assert.False(_pump.Paused);
        Assert.False(_pump.EndFor(0)); // another request's response has nothing to do with it
    }

    [Fact]
    public void A_read_for_a_request_without_a_streamed_body_is_refused()
    {
        _pump.Start(1, keepAlive: true);
        Assert.False(_pump.OnRead(0, _handler, now: 0));
        Assert.Contains("no streamed body", Assert.IsType<RequestBodyStream.Failed>(Assert.Single(_handler.Received)).Reason);
    }
}
