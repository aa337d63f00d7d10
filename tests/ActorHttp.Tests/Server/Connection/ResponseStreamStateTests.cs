using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.Connection;

[Trait("Category", "Connection")]
public sealed class ResponseStreamStateTests
{
    private readonly RecordingActorRef _producer = new("producer");

    private static ResponseStream.Chunk Chunk(string text) => new(ByteString.FromString(text));

    private ResponseStreamState Started(BodyFraming framing, long contentLength = 0)
    {
        var stream = new ResponseStreamState(_producer);
        stream.Begin(framing, framing == BodyFraming.ContentLength ? contentLength : null, closeAfter: false);
        return stream;
    }

    [Fact]
    public void Chunks_then_End_come_out_in_order_with_their_bytes()
    {
        var stream = Started(BodyFraming.Chunked);
        Assert.Equal(StreamStep.Waiting, stream.TakeNext(out _));
        stream.Offer(Chunk("ab"), _producer);
        stream.Offer(Chunk("c"), _producer);
        stream.Offer(ResponseStream.End.Instance, _producer);
        Assert.Equal(StreamStep.Chunk, stream.TakeNext(out var first));
        Assert.Equal("ab", first.ToString(System.Text.Encoding.UTF8));
        Assert.Equal(StreamStep.Chunk, stream.TakeNext(out var second));
        Assert.Equal("c", second.ToString(System.Text.Encoding.UTF8));
        Assert.Equal(StreamStep.End, stream.TakeNext(out _));
        Assert.Null(stream.Producer);
        Assert.Empty(_producer.Received); // acks are the writer's job; nothing was cancelled
    }

    [Fact]
    public void The_server_ends_an_event_stream_with_a_clean_End_once_and_cancels_its_producer()
    {
        var stream = new ResponseStreamState(_producer, isEventStream: true);
        stream.Begin(BodyFraming.Chunked, null, closeAfter: false);
        stream.Offer(Chunk("data: x\n\n"), _producer);
        stream.EndNow();
        Assert.Equal([ResponseStream.Cancelled.Instance], _producer.Received);
        Assert.Null(stream.Producer);
        Assert.Equal(StreamStep.End, stream.TakeNext(out _)); // the queued chunk is dropped: its Ack could go to no one
        Assert.Equal(StreamStep.Waiting, stream.TakeNext(out _));
        stream.EndNow(); // once only
        Assert.Single(_producer.Received);
    }

    [Fact]
    public void Ending_now_leaves_an_ordinary_stream_alone()
    {
        var stream = Started(BodyFraming.Chunked);
        stream.Offer(Chunk("a"), _producer);
        stream.EndNow();
        Assert.Empty(_producer.Received);
        Assert.Equal(StreamStep.Chunk, stream.TakeNext(out _));
    }

    [Fact]
    public void Content_length_framing_takes_exactly_the_declared_bytes()
    {
        var stream = Started(BodyFraming.ContentLength, contentLength: 3);
        stream.Offer(Chunk("ab"), _producer);
        stream.Offer(Chunk("c"), _producer);
        stream.Offer(ResponseStream.End.Instance, _producer);
        Assert.Equal(StreamStep.Chunk, stream.TakeNext(out _));
        Assert.Equal(StreamStep.Chunk, stream.TakeNext(out _));
        Assert.Equal(StreamStep.End, stream.TakeNext(out _));
    }

    [Fact]
    public void More_than_the_content_length_breaks_the_stream_and_cancels_the_producer()
    {
        var stream = Started(BodyFraming.ContentLength, contentLength: 2);
        stream.Offer(Chunk("abc"), _producer);
        Assert.Equal(StreamStep.Broken, stream.TakeNext(out _));
        Assert.Contains("more than its Content-Length", stream.Problem);
        Assert.Equal(1, _producer.Count<ResponseStream.Cancelled>());
        Assert.Equal(StreamStep.Waiting, stream.TakeNext(out _));
    }

    [Fact]
    public void End_short_of_the_content_length_breaks_the_stream()
    {
        var stream = Started(BodyFraming.ContentLength, contentLength: 5);
        stream.Offer(Chunk("ab"), _producer);
        stream.Offer(ResponseStream.End.Instance, _producer);
        Assert.Equal(StreamStep.Chunk, stream.TakeNext(out _));
        Assert.Equal(StreamStep.Broken, stream.TakeNext(out _));
        Assert.Contains("3 bytes short", stream.Problem);
    }

    [Fact]
    public void A_failure_before_the_head_is_returned_and_after_it_breaks_the_stream()
    {
        var early = new ResponseStreamState(_producer);
        Assert.Equal("gone", early.Offer(new Status.Failure(new Exception("gone")), _producer)?.Message);
        Assert.Null(early.Producer);

        var late = Started(BodyFraming.Chunked);
        Assert.Null(late.Offer(new Status.Failure(new Exception("gone")), _producer));
        Assert.Equal(StreamStep.Broken, late.TakeNext(out _));
        Assert.Contains("gone", late.Problem);
    }

    [Fact]
    public void A_producer_that_floods_without_acks_is_cancelled_and_its_stream_breaks()
    {
        var stream = Started(BodyFraming.Chunked);
        for (var i = 0; i <= ResponseStreamState.MaxQueued; i++) stream.Offer(Chunk("x"), _producer);
        Assert.Equal(1, _producer.Count<ResponseStream.Cancelled>());
        for (var i = 0; i < ResponseStreamState.MaxQueued; i++) Assert.Equal(StreamStep.Chunk, stream.TakeNext(out _));
        Assert.Equal(StreamStep.Broken, stream.TakeNext(out _));
        Assert.Contains("without waiting for Acks", stream.Problem);
    }

    [Fact]
    public void A_close_delimited_body_closes_the_connection_after_it()
    {
        var stream = new ResponseStreamState(_producer);
        Assert.False(stream.HeadRendered);
        stream.Begin(BodyFraming.CloseDelimited, null, closeAfter: false);
        Assert.True(stream.HeadRendered);
        Assert.True(stream.CloseAfter);
    }

    [Fact]
    public void Cancel_tells_the_producer_once_and_takes_nothing_more()
    {
        var stream = Started(BodyFraming.Chunked);
        stream.Cancel();
        stream.Cancel();
        stream.Offer(Chunk("x"), _producer);
        Assert.Equal(1, _producer.Count<ResponseStream.Cancelled>());
        Assert.Equal(StreamStep.Waiting, stream.TakeNext(out _));
    }
}
