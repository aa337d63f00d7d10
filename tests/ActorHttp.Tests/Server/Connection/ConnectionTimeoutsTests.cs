using ActorHttp.Server;
using Microsoft.Extensions.Time.Testing;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.Connection;

[Trait("Category", "Connection")]
public sealed class ConnectionTimeoutsTests
{
    private static readonly ServerSettings Settings = ServerSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString("""
        actor-http.server {
          idle-timeout = 60s, request-header-timeout = 30s, request-body-timeout = 40s, response-timeout = 20s
          send-timeout = 50s, linger-timeout = 2s
        }
        """));

    private static readonly TimeoutInputs Quiet = new(Closing: false, AwaitingAck: false, WriteStartedAt: 0, StreamDeadline: long.MaxValue,
        ReplyDeadline: long.MaxValue, Reading: ReadingPhase.None, BodyAllowance: 0, Idle: false);

    private readonly FakeTimeProvider _clock = new();
    private readonly ConnectionTimeouts _timeouts;
    private int _wakes;

    public ConnectionTimeoutsTests()
    {
        _timeouts = new ConnectionTimeouts(Settings with { Clock = _clock }, static self => ((ConnectionTimeoutsTests)self!)._wakes++, this);
        _timeouts.LastActivityAt = 1_000; // the arithmetic tests use small numbers; the clock's own are large
    }

    [Fact]
    public void Idle_fires_idle_timeout_after_the_last_activity_and_not_before()
    {
        var idle = Quiet with { Idle = true };
        Assert.Equal(61_000, _timeouts.NextDeadline(idle));
        Assert.Equal(TimeoutReason.None, _timeouts.Check(60_999, idle));
        Assert.Equal(TimeoutReason.Idle, _timeouts.Check(61_000, idle));

        _timeouts.LastActivityAt = 30_000;
        Assert.Equal(TimeoutReason.None, _timeouts.Check(61_000, idle));
        Assert.Equal(90_000, _timeouts.NextDeadline(idle));
        Assert.Equal(long.MaxValue, _timeouts.NextDeadline(Quiet)); // busy, and nothing else applies
    }

    [Fact]
    public void Request_head_and_body_deadlines_count_from_their_start()
    {
        _timeouts.RequestStartedAt = 5_000;
        var head = Quiet with { Reading = ReadingPhase.Head };
        Assert.Equal(35_000, _timeouts.NextDeadline(head));
        Assert.Equal(TimeoutReason.RequestHead, _timeouts.Check(35_000, head));

        _timeouts.BodyStartedAt = 10_000;
        var body = Quiet with { Reading = ReadingPhase.Body, BodyAllowance = 7_000 }; // what a streamed body earned
        Assert.Equal(57_000, _timeouts.NextDeadline(body));
        Assert.Equal(TimeoutReason.None, _timeouts.Check(56_999, body));
        Assert.Equal(TimeoutReason.RequestBody, _timeouts.Check(57_000, body));
    }

    [Fact]
    public void Reply_stream_and_send_deadlines_come_from_the_state()
    {
        var waiting = Quiet with { ReplyDeadline = 21_000 };
        Assert.Equal(21_000, _timeouts.NextDeadline(waiting));
        Assert.Equal(TimeoutReason.Response, _timeouts.Check(21_000, waiting));

        var stalled = Quiet with { StreamDeadline = 8_000 };
        Assert.Equal(TimeoutReason.Stream, _timeouts.Check(8_000, stalled));

        var writing = Quiet with { AwaitingAck = true, WriteStartedAt = 2_000 };
        Assert.Equal(52_000, _timeouts.NextDeadline(writing));
        Assert.Equal(TimeoutReason.Send, _timeouts.Check(52_000, writing));
    }

    [Fact]
    public void The_most_severe_deadline_is_reported_first()
    {
        _timeouts.RequestStartedAt = 0;
        var everything = new TimeoutInputs(Closing: false, AwaitingAck: true, WriteStartedAt: 0, StreamDeadline: 0, ReplyDeadline: 0,
            Reading: ReadingPhase.Head, BodyAllowance: 0, Idle: true);
        Assert.Equal(TimeoutReason.Send, _timeouts.Check(100_000, everything));
        Assert.Equal(TimeoutReason.Stream, _timeouts.Check(100_000, everything with { AwaitingAck = false }));
        Assert.Equal(TimeoutReason.Response, _timeouts.Check(100_000, everything with { AwaitingAck = false, StreamDeadline = long.MaxValue }));
        Assert.Equal(TimeoutReason.RequestHead, _timeouts.Check(100_000,
            everything with { AwaitingAck = false, StreamDeadline = long.MaxValue, ReplyDeadline = long.MaxValue }));
        Assert.Equal(0, _timeouts.NextDeadline(everything));
    }

    [Fact]
    public void Closing_waits_the_linger_timeout_or_the_send_timeout_after_a_large_last_write()
    {
        var closing = Quiet with { Closing = true, Idle = true, ReplyDeadline = 0 }; // only the linger deadline applies
        _timeouts.StartLinger(now: 10_000, lastWriteLength: 100);
        Assert.Equal(12_000, _timeouts.NextDeadline(closing));
        Assert.Equal(TimeoutReason.None, _timeouts.Check(11_999, closing));
        Assert.Equal(TimeoutReason.Linger, _timeouts.Check(12_000, closing));

        _timeouts.StartLinger(now: 10_000, lastWriteLength: ConnectionTimeouts.LargeWrite + 1);
        Assert.Equal(60_000, _timeouts.NextDeadline(closing));
    }

    [Fact]
    public void The_timer_wakes_the_connection_at_the_earliest_deadline_on_its_clock()
    {
        var now = _timeouts.Now;
        _timeouts.LastActivityAt = now;
        var idle = Quiet with { Idle = true };
        _timeouts.WakeBy(idle); // idle-timeout 60 s from now
        _clock.Advance(TimeSpan.FromMilliseconds(59_999));
        Assert.Equal(0, _wakes);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _wakes);
        Assert.Equal(TimeoutReason.Idle, _timeouts.Check(_timeouts.Now, idle));

        _timeouts.Woken();
        var waiting = Quiet with { ReplyDeadline = _timeouts.Now + 5_000 };
        _timeouts.WakeBy(waiting);
        _timeouts.WakeBy(waiting with { ReplyDeadline = _timeouts.Now + 9_000 }); // later: the timer stays where it is
        _timeouts.WakeBy(waiting with { ReplyDeadline = _timeouts.Now + 2_000 }); // earlier: it moves
        _clock.Advance(TimeSpan.FromMilliseconds(2_000));
        Assert.Equal(2, _wakes);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, _wakes); // one timer, set once more only by the next WakeBy after Woken
    }
}
