using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.Connection;

[Trait("Category", "Connection")]
public sealed class ExchangeQueueTests
{
    private const long Timeout = 1000;
    private readonly ExchangeQueue _queue = new();
    private readonly RecordingActorRef _handler = new("handler");

    private long Enqueue(long now = 0) => _queue.Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: true, response: null, now, Timeout);

    [Fact]
    public void Exchanges_keep_request_order_as_the_ring_grows()
    {
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(i, Enqueue());
            if (i % 3 == 2) _queue.Dequeue(); // the ring wraps while it grows
        }
        var expected = 40 - _queue.Count;
        for (var remaining = _queue.Count; remaining > 0; remaining--)
        {
            Assert.Equal(expected++, _queue.Front.Sequence);
            _queue.Dequeue();
        }
        Assert.Equal(40, Enqueue()); // numbering goes on
    }

    [Fact]
    public void A_reply_to_the_front_is_ready_and_a_reply_to_a_later_exchange_waits()
    {
        Enqueue();
        Enqueue();
        Assert.Equal(ReplyOutcome.Queued, _queue.Accept(1, HttpResponse.Text("second"), _handler, out _));
        Assert.True(_queue.FrontAwaitsReply);
        Assert.Equal(ReplyOutcome.Ready, _queue.Accept(0, HttpResponse.Text("first"), _handler, out var problem));
        Assert.Null(problem);
        Assert.Equal("first", _queue.Front.Response!.Body.ToString(System.Text.Encoding.UTF8));
    }

    [Fact]
    public void Late_and_duplicate_replies_are_dropped_and_a_dropped_stream_is_cancelled()
    {
        Enqueue();
        Assert.Equal(ReplyOutcome.Ready, _queue.Accept(0, HttpResponse.Text("one"), _handler, out _));
        Assert.Equal(ReplyOutcome.Duplicate, _queue.Accept(0, HttpResponse.Text("two"), _handler, out _));
        Assert.Equal("one", _queue.Front.Response!.Body.ToString(System.Text.Encoding.UTF8));
        Assert.Equal(ReplyOutcome.Duplicate, _queue.Accept(0, new HttpResponse { Streamed = true }, _handler, out _));
        Assert.Equal(1, _handler.Count<ResponseStream.Cancelled>());

        _queue.Dequeue();
        Assert.Equal(ReplyOutcome.Late, _queue.Accept(0, HttpResponse.Text("three"), _handler, out _));
        Assert.Equal(ReplyOutcome.Late, _queue.Accept(0, new ResponseStream.Chunk(ByteString.FromString("x")), _handler, out _));
        Assert.Equal(ReplyOutcome.Late, _queue.Accept(7, HttpResponse.Text("never asked"), _handler, out _));
        Assert.Equal(2, _handler.Count<ResponseStream.Cancelled>());
    }

    [Fact]
    public void A_failure_or_an_unexpected_message_becomes_a_500_with_the_reason_for_the_log()
    {
        Enqueue();
        Enqueue();
        _queue.Accept(0, new Status.Failure(new InvalidOperationException("boom")), _handler, out var failed);
        _queue.Accept(1, "not a response", _handler, out var unexpected);
        Assert.Equal(500, _queue.Front.Response!.Status);
        Assert.Contains("boom", failed);
        Assert.Contains("String", unexpected);
    }

    [Fact]
    public void A_streamed_head_starts_a_stream_that_takes_the_chunks_and_a_failure_before_the_head_is_a_500()
    {
        Enqueue();
        var producer = new RecordingActorRef("producer");
        _queue.Accept(0, new HttpResponse { Streamed = true }, _handler, out _);
        Assert.NotNull(_queue.Front.Stream);
        Assert.Equal(ReplyOutcome.Ready, _queue.Accept(0, new ResponseStream.Chunk(ByteString.FromString("a")), producer, out _));
        Assert.Same(producer, _queue.Front.Stream!.Producer); // whoever sends the chunks gets the Acks
        Assert.True(_queue.Front.Stream.HasQueued);

        _queue.Accept(0, new Status.Failure(new Exception("disk gone")), producer, out var problem);
        Assert.Null(_queue.Front.Stream);
        Assert.Equal(500, _queue.Front.Response!.Status);
        Assert.Contains("disk gone", problem);
    }

    [Fact]
    public void Only_overdue_exchanges_waiting_for_their_handler_are_answered()
    {
        Enqueue(now: 0);
        Enqueue(now: 500);
        Enqueue(now: 600);
        _queue.Accept(2, HttpResponse.Text("answered"), _handler, out _);
        Assert.Equal(1000, _queue.EarliestReplyDeadline());

        var late = HttpResponse.Error(503);
        Assert.False(_queue.AnswerWaiting(late, onlyOverdueAt: 999));
        Assert.True(_queue.AnswerWaiting(late, onlyOverdueAt: 1000));
        Assert.Same(late, _queue.Front.Response);
        Assert.Equal(1500, _queue.EarliestReplyDeadline());

        Assert.True(_queue.AnswerWaiting(late)); // the shutdown deadline: every waiting one
        Assert.Equal(long.MaxValue, _queue.EarliestReplyDeadline());
        _queue.Dequeue();
        _queue.Dequeue();
        Assert.Equal("answered", _queue.Front.Response!.Body.ToString(System.Text.Encoding.UTF8));
    }

    [Fact]
    public void An_interim_continue_waits_for_no_reply_and_takes_none()
    {
        _queue.EnqueueContinue(now: 0);
        Assert.False(_queue.FrontAwaitsReply);
        Assert.Equal(long.MaxValue, _queue.EarliestReplyDeadline());
        Assert.Equal(ReplyOutcome.Late, _queue.Accept(0, HttpResponse.Text("x"), _handler, out _));
    }

    [Fact]
    public void Clear_drops_every_exchange_and_stops_their_producers()
    {
        Enqueue();
        Enqueue();
        var producer = new RecordingActorRef("producer");
        _queue.Accept(1, new HttpResponse { Streamed = true }, producer, out _);
        _queue.Clear();
        Assert.Equal(0, _queue.Count);
        Assert.Equal(1, producer.Count<ResponseStream.Cancelled>());
        Assert.Equal(ReplyOutcome.Late, _queue.Accept(0, HttpResponse.Text("late"), _handler, out _));
        Assert.Equal(2, Enqueue());
        Assert.Equal(2, _queue.Front.Sequence);
    }
}
