using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Server;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>
/// Event streams (<see cref="HttpResponse.IsEventStream"/>) on a connection, on its fake clock: a quiet one outlives
/// every deadline but the send timeout; it ends, its producer cancelled, when the client closes its side, the
/// transport fails or the server drains; heartbeats of a real <see cref="EventStreams"/> actor come when the clock says.
/// </summary>
public sealed partial class ConnectionActorTests
{
    private const string EventsRequest = "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";

    /// <summary>Opens an event stream answered by <paramref name="producer"/>: its head (and a first event) are written.</summary>
    private static IActorRef OpenEventStream(Conn c, TestProbe producer)
    {
        c.Send(EventsRequest);
        var slot = c.ExpectRequest("/events");
        slot.Tell(HttpResponse.EventStream(), producer.Ref);
        slot.Tell(new ResponseStream.Chunk(new ServerSentEvent("hello", Id: "1").ToBytes()), producer.Ref);
        var written = c.ExpectWrite();
        if (!written.Contains("data: hello")) written += c.ExpectWrite(); // the head may have gone out on its own
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", written);
        Assert.Contains("Content-Type: text/event-stream\r\n", written);
        Assert.Contains("Cache-Control: no-cache\r\n", written);
        Assert.Contains("Transfer-Encoding: chunked\r\n", written);
        Assert.Contains("id: 1\ndata: hello\n\n", written);
        producer.ExpectMsg<ResponseStream.Ack>(Wait);
        return slot;
    }

    [Fact]
    public void A_quiet_event_stream_survives_far_past_the_response_and_idle_timeouts()
    {
        var c = Connect(Fast); // response-timeout 300 ms, idle-timeout 500 ms
        var producer = CreateTestProbe();
        var slot = OpenEventStream(c, producer);

        c.Advance(TimeSpan.FromHours(1));
        c.ExpectNothingWrittenOrClosed();
        Assert.False(producer.HasMessages, "the producer was told something: " + producer.ReceiveOne(TimeSpan.Zero));

        // Still open and working: the next event goes out an hour later.
        slot.Tell(new ResponseStream.Chunk(new ServerSentEvent("an hour later").ToBytes()), producer.Ref);
        Assert.Contains("data: an hour later\n\n", c.ExpectWrite());
        producer.ExpectMsg<ResponseStream.Ack>(Wait);
    }

    [Fact]
    public void An_ordinary_stream_as_quiet_is_cut_off_at_the_response_timeout()
    {
        // The same exchange with a text/plain head: the deadline the event stream is exempt from.
        var c = Connect(Fast);
        var producer = CreateTestProbe();
        c.Send(Get11);
        var slot = c.ExpectRequest("/");
        slot.Tell(HttpResponse.StreamedHead(contentType: "text/plain"), producer.Ref);
        slot.Tell(new ResponseStream.Chunk(ByteString.FromString("first")), producer.Ref);
        if (!c.ExpectWrite().Contains("first")) c.ExpectWrite(); // the head may have gone out on its own
        producer.ExpectMsg<ResponseStream.Ack>(Wait);
        c.Advance(Fast.ResponseTimeout);
        producer.FishForMessage(m => m is ResponseStream.Cancelled, Wait);
        c.Expect<Tcp.ConfirmedClose>(allowWrites: true); // truncated: closed without the last chunk
    }

    [Fact]
    public void The_send_timeout_still_aborts_an_event_stream_whose_client_does_not_read()
    {
        var c = Connect(Fast with { SendTimeout = TimeSpan.FromSeconds(10) });
        var producer = CreateTestProbe();
        var slot = OpenEventStream(c, producer);
        slot.Tell(new ResponseStream.Chunk(new ServerSentEvent("unread").ToBytes()), producer.Ref);
        c.ExpectWrite(ack: false); // the kernel never takes it
        producer.ExpectMsg<ResponseStream.Ack>(Wait); // handed to the transport: the producer may go on
        c.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(TimeSpan.FromMilliseconds(1));
        c.Expect<Tcp.Abort>();
        producer.ExpectMsg<ResponseStream.Cancelled>(Wait);
        c.WatchAndExpectStopped();
    }

    [Fact]
    public void The_client_closing_its_side_cancels_the_producer_and_the_stream_ends_cleanly()
    {
        var c = Connect();
        var producer = CreateTestProbe();
        var slot = OpenEventStream(c, producer);
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        producer.ExpectMsg<ResponseStream.Cancelled>(Wait);
        Assert.Equal("0\r\n\r\n", c.ExpectWrite()); // the last chunk: the body ends well formed
        c.Expect<Tcp.Close>();

        slot.Tell(new ResponseStream.Chunk(new ServerSentEvent("late").ToBytes()), producer.Ref);
        producer.ExpectMsg<ResponseStream.Cancelled>(Wait); // chunks after the end are refused
        slot.Tell(ResponseStream.End.Instance, producer.Ref);
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void The_connection_failing_cancels_the_producer()
    {
        var c = Connect();
        var producer = CreateTestProbe();
        OpenEventStream(c, producer);
        c.Actor.Tell(new Tcp.ErrorClosed("Connection reset by peer"), c.Tcp.Ref);
        producer.ExpectMsg<ResponseStream.Cancelled>(Wait);
        c.WatchAndExpectStopped();
    }

    [Fact]
    public void Draining_ends_an_event_stream_at_once_instead_of_waiting_for_its_end()
    {
        var c = Connect();
        var producer = CreateTestProbe();
        OpenEventStream(c, producer);
        c.Actor.Tell(DrainConnection.Instance);
        producer.ExpectMsg<ResponseStream.Cancelled>(Wait);
        Assert.Equal("0\r\n\r\n", c.ExpectWrite());
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void An_event_stream_that_starts_while_draining_ends_at_once()
    {
        var c = Connect();
        var producer = CreateTestProbe();
        c.Send(EventsRequest);
        var slot = c.ExpectRequest("/events");
        c.Actor.Tell(DrainConnection.Instance);
        slot.Tell(HttpResponse.EventStream(), producer.Ref);
        producer.ExpectMsg<ResponseStream.Cancelled>(Wait);
        var written = c.ExpectWrite();
        Assert.Contains("Connection: close\r\n", written);
        Assert.EndsWith("\r\n\r\n0\r\n\r\n", written); // the head and at once the last chunk
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Last_event_id_reaches_the_handler()
    {
        var c = Connect();
        c.Send("GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 41\r\n\r\n");
        var (request, _) = c.ExpectRequest();
        Assert.Equal("41", request.LastEventId);
        c.Send(Req("/again"));
        Assert.Null(c.ExpectRequest().Request.LastEventId);
    }

    [Fact]
    public void Heartbeats_of_an_event_stream_actor_are_written_when_the_clock_passes_the_interval_and_not_before()
    {
        var c = Connect(Fast);
        var interval = TimeSpan.FromSeconds(15);
        c.Send(EventsRequest);
        var slot = c.ExpectRequest("/events");
        // The handler's event stream reads the connection's clock (the same settings the server was bound with).
        var stream = Sys.ActorOf(EventStreams.Props(slot, Fast with { Clock = c.Clock, EventStream = new EventStreamSettings(interval, 1 << 20) }));
        Assert.Contains("Content-Type: text/event-stream\r\n", c.ExpectWrite());

        // The connection first (it passes a write's ack on to the stream), then the stream (it has the Ack and has armed its
        // next heartbeat on the clock; what it sent is in the connection's mailbox), then the connection again. Settling the
        // stream first raced: an Ack arriving after it armed the timer late, past the next Advance.
        void SettleBoth()
        {
            c.Settle();
            stream.Ask<ActorIdentity>(new Identify(null), Wait).Wait(Wait);
            c.Settle();
        }

        for (var beat = 0; beat < 2; beat++)
        {
            c.Advance(interval - TimeSpan.FromMilliseconds(1));
            SettleBoth();
            c.ExpectNothingWrittenOrClosed();
            c.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal("2\r\n:\n\r\n", c.ExpectWrite()); // one chunk: a comment line
            SettleBoth(); // the stream has its Ack and counts the next interval from this heartbeat
        }

        stream.Tell(new ServerSentEvent("news"));
        Assert.Equal("C\r\ndata: news\n\n\r\n", c.ExpectWrite());
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref); // the client leaves: the stream actor is cancelled and stops
        Watch(stream);
        ExpectTerminated(stream, Wait);
    }
}
