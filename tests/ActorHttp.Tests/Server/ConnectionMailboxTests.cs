using Akka.Actor;
using ActorHttp.Server.Dispatch;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>The connection actors' queue: first in, first out through growing and shrinking, and under concurrent producers.</summary>
public sealed class ConnectionMailboxTests
{
    private static Envelope Message(int i) => new(i, ActorRefs.NoSender);

    [Fact]
    public void Messages_come_out_in_the_order_they_went_in_while_the_ring_grows_wraps_and_shrinks()
    {
        var queue = new ConnectionMailbox.Queue();
        var next = 0;
        var expected = 0;
        foreach (var burst in new[] { 3, 5, 1, 200, 7, 70, 2 })
        {
            for (var i = 0; i < burst; i++) queue.Enqueue(ActorRefs.Nobody, Message(next++));
            Assert.Equal(burst, queue.Count);
            // Take all but one, then one more in: the ring wraps.
            for (var i = 0; i < burst - 1; i++)
            {
                Assert.True(queue.TryDequeue(out var envelope));
                Assert.Equal(expected++, envelope.Message);
            }
            queue.Enqueue(ActorRefs.Nobody, Message(next++));
            while (queue.TryDequeue(out var envelope)) Assert.Equal(expected++, envelope.Message);
            Assert.False(queue.HasMessages);
        }
        Assert.Equal(next, expected);
    }

    [Fact]
    public async Task Four_producers_at_once_lose_nothing_and_keep_each_ones_order()
    {
        var queue = new ConnectionMailbox.Queue();
        const int perProducer = 20_000;
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < perProducer; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope((p, i), ActorRefs.NoSender));
        })).ToArray();
        var last = new[] { -1, -1, -1, -1 };
        var taken = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (taken < 4 * perProducer && DateTime.UtcNow < deadline)
        {
            if (!queue.TryDequeue(out var envelope))
            {
                Thread.Yield();
                continue;
            }
            var (p, i) = ((int, int))envelope.Message;
            Assert.Equal(last[p] + 1, i);
            last[p] = i;
            taken++;
        }
        await Task.WhenAll(producers);
        Assert.Equal(4 * perProducer, taken);
        Assert.False(queue.HasMessages);
    }
}
