using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.Connection;

[Trait("Category", "Connection")]
public sealed class ResponseWriterTests
{
    private readonly ResponseWriter _writer = new();

    private void Render(string text)
    {
        _writer.Pending.Write(System.Text.Encoding.ASCII.GetBytes(text));
        _writer.ResponseRendered();
    }

    [Fact]
    public void Nothing_rendered_means_nothing_to_write()
    {
        Assert.Equal(WriteDecision.Wait, _writer.Decide(replyAwaited: false));
        Assert.True(_writer.IsIdle);
    }

    [Fact]
    public void One_write_at_a_time_carrying_everything_rendered_before_it()
    {
        Render("one");
        Assert.Equal(WriteDecision.Write, _writer.Decide(replyAwaited: false));
        var bytes = _writer.TakeWrite(now: 10, out var acked);
        Assert.False(acked);
        Assert.Equal("one", bytes.ToString(System.Text.Encoding.ASCII));
        Assert.True(_writer.AwaitingAck);
        Assert.Equal(10, _writer.WriteStartedAt);
        Assert.Equal(3, _writer.LastWriteLength);

        Render("two");
        Render("three");
        Assert.Equal(3, _writer.UnacknowledgedResponses);
        Assert.Equal(WriteDecision.Wait, _writer.Decide(replyAwaited: false)); // the first write is not acknowledged yet
        _writer.OnAck();
        Assert.Equal(2, _writer.UnacknowledgedResponses);
        Assert.Equal(WriteDecision.Write, _writer.Decide(replyAwaited: false));
        Assert.Equal("twothree", _writer.TakeWrite(now: 20, out _).ToString(System.Text.Encoding.ASCII));
        _writer.OnAck();
        Assert.True(_writer.IsIdle);
        Assert.Equal(0, _writer.UnacknowledgedResponses);
    }

    [Fact]
    public void While_a_reply_is_on_its_way_the_write_waits_one_turn_then_goes()
    {
        Render("first");
        Assert.Equal(WriteDecision.Defer, _writer.Decide(replyAwaited: true));
        Render("second"); // a reply that arrived meanwhile joins the batch
        Assert.Equal(WriteDecision.Wait, _writer.Decide(replyAwaited: true)); // the turn is already scheduled
        _writer.DeferralExpired();
        Assert.Equal(WriteDecision.Write, _writer.Decide(replyAwaited: true));
        Assert.Equal("firstsecond", _writer.TakeWrite(0, out _).ToString(System.Text.Encoding.ASCII));
        _writer.OnAck();

        Render("third"); // a new batch defers again
        Assert.Equal(WriteDecision.Defer, _writer.Decide(replyAwaited: true));
    }

    [Fact]
    public void Producers_are_acknowledged_when_their_chunks_go_to_the_socket()
    {
        var producer = new RecordingActorRef("producer");
        _writer.Pending.Write("chunk"u8);
        _writer.OweAck(producer);
        Assert.True(_writer.HasAcksOwed);
        Assert.Empty(producer.Received);
        _writer.TakeWrite(0, out var acked);
        Assert.True(acked);
        Assert.IsType<ResponseStream.Ack>(Assert.Single(producer.Received));
        Assert.False(_writer.HasAcksOwed);
    }
}
