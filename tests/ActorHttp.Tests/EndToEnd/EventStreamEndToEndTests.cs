using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>What <see cref="TickerHandler"/> reports to its test.</summary>
public sealed class TickerProbe
{
    /// <summary>The handler of the open stream (to tell it <see cref="TickerHandler.Tick"/>).</summary>
    public readonly TaskCompletionSource<IActorRef> Handler = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the handler's event stream actor stopped (the client left).</summary>
    public readonly TaskCompletionSource StreamStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// <c>/ticker</c> (per request): an event stream that starts after the request's <c>Last-Event-ID</c> and sends one event
/// per <see cref="Tick"/> told to the handler, reading <paramref name="settings"/> (the test's clock).
/// </summary>
public sealed class TickerHandler(ServerSettings settings, TickerProbe probe) : HttpHandlerActor
{
    public sealed record Tick;

    private IActorRef? _events;
    private int _next;

    protected override void OnRequest(HttpRequest request)
    {
        _next = int.TryParse(request.LastEventId, out var last) ? last + 1 : 1;
        _events = EventStreams.Start(Context, Sender, settings);
        Context.Watch(_events);
        probe.Handler.TrySetResult(Self);
    }

    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case Tick:
                _events?.Tell(new ServerSentEvent($"tick {_next}", Id: (_next++).ToString()));
                break;
            case Terminated t when t.ActorRef.Equals(_events):
                probe.StreamStopped.TrySetResult();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // The per-request wrapper stops this handler when its stream ends (End), possibly before the Terminated of the
    // stream is processed here; the stream, a child, has stopped by then either way.
    protected override void PostStop() => probe.StreamStopped.TrySetResult();
}

/// <summary>Event streams over real sockets on 127.0.0.1, with the server on a fake clock.</summary>
[Trait("Category", "EndToEnd")]
public sealed class EventStreamEndToEndTests
{
    [Fact]
    public async Task A_quiet_event_stream_outlives_the_response_timeout_beats_and_ends_when_the_client_leaves()
    {
        var clock = new FakeTimeProvider();
        var probe = new TickerProbe();
        var streamSettings = ServerSettings.Default with { Clock = clock, EventStream = new EventStreamSettings(TimeSpan.FromSeconds(15), 1 << 20) };
        await using var server = await TestServer.StartAsync(s => s with { ResponseTimeout = TimeSpan.FromSeconds(1), IdleTimeout = TimeSpan.FromSeconds(2) },
            new Routes().Get("/ticker", HandlerProps.PerRequest(Props.Create(() => new TickerHandler(streamSettings, probe)))), clock: clock);
        using var received = server.CountReceivedBytes();

        using var client = await EventStreamClient.OpenAsync(server.Port, "/ticker", lastEventId: "41");
        Assert.Equal(200, client.Status);
        Assert.Equal("text/event-stream", client.Headers["Content-Type"]);
        Assert.Equal("no-cache", client.Headers["Cache-Control"]);
        var handler = await probe.Handler.Task.WaitAsync(TimeSpan.FromSeconds(10));
        handler.Tell(new TickerHandler.Tick());
        Assert.Equal(new ServerSentEvent("tick 42", Id: "42"), await client.NextEventAsync()); // resumed after Last-Event-ID

        // An hour of the server's time passes with no event: past the response and idle timeouts many times over. The
        // stream stays open; the heartbeat comes.
        await received.SettleAsync();
        clock.Advance(TimeSpan.FromHours(1));
        await client.WaitForCommentsAsync(1);
        Assert.Equal([""], client.Comments);
        handler.Tell(new TickerHandler.Tick());
        Assert.Equal("tick 43", (await client.NextEventAsync()).Data);

        client.Close(); // the client goes away: its producer is cancelled and stops
        await probe.StreamStopped.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
