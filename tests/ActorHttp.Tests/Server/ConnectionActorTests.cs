using System.Net;
using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Microsoft.Extensions.Time.Testing;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Server;

/// <summary>
/// <see cref="HttpConnectionActor"/> against a TestProbe standing in for the Akka.IO connection: no sockets.
/// The tests play the transport (acks, PeerClosed, ConfirmedClosed) and, through <see cref="ProbeRouter"/>, the handler.
/// <para>
/// No test waits on real time to decide anything. Each connection reads a <see cref="FakeTimeProvider"/> of its own,
/// which only the test moves (<see cref="Conn.Advance"/>), so a timeout fires exactly when the test says and never
/// otherwise; "nothing happened" is asserted after a barrier (<see cref="Conn.Settle"/>) instead of after a quiet
/// period. Waits are only bounded waits (<see cref="Wait"/>) for something that must happen.
/// </para>
/// </summary>
[Trait("Category", "Connection")]
public sealed partial class ConnectionActorTests : TestKit
{
    /// <summary>The bound on waiting for something that must happen (only a failing test waits this long).</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    /// <summary>Long timeouts: nothing times out during a test unless it means to.</summary>
    private static readonly ServerSettings Slow = ServerSettings.Default with
    {
        IdleTimeout = TimeSpan.FromSeconds(60),
        RequestHeaderTimeout = TimeSpan.FromSeconds(60),
        RequestBodyTimeout = TimeSpan.FromSeconds(60),
        ResponseTimeout = TimeSpan.FromSeconds(60),
        SendTimeout = TimeSpan.FromSeconds(60),
        LingerTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Short timeouts for the timeout tests (on the fake clock: only their ratios matter).</summary>
    private static readonly ServerSettings Fast = Slow with
    {
        ResponseTimeout = TimeSpan.FromMilliseconds(300),
        IdleTimeout = TimeSpan.FromMilliseconds(500),
        RequestHeaderTimeout = TimeSpan.FromMilliseconds(300),
        LingerTimeout = TimeSpan.FromMilliseconds(300),
    };

    private const string Get11 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    // ActorHttp's reference config, as HttpServer injects it: the connection's mailbox is configured there.
    public ConnectionActorTests(ITestOutputHelper output)
        : base(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = DEBUG").WithFallback(HttpServer.DefaultConfig()), output: output) { }

    // ================================================================== harness

    /// <summary>Routes every request to the handler probe (the test answers through the ResponseSlot sender).</summary>
    private sealed class ProbeRouter(IActorRef handler) : IRequestRouter
    {
        public RouteDecision Route(HttpRequest request) => RouteDecision.Dispatch(handler, request);
    }

    /// <summary>One connection actor with its transport, handler and parent probes, and its own fake clock.</summary>
    private sealed class Conn
    {
        private readonly ConnectionActorTests _kit;
        public readonly TestProbe Tcp, Handler, Parent;
        public readonly IActorRef Actor;

        /// <summary>The connection's clock: it moves only when the test calls <see cref="Advance"/>.</summary>
        public readonly FakeTimeProvider Clock = new();

        /// <summary>Receives the ActorIdentity replies of <see cref="Settle"/>.</summary>
        private readonly TestProbe _settler;
        private long _identifyId;

        /// <summary>Every message the transport probe received, in order (Writes as their decoded text).</summary>
        public readonly List<object> TcpLog = [];

        /// <summary>The bytes of the last Write seen (binary frames do not survive <see cref="TcpLog"/>'s text).</summary>
        public byte[] LastWriteBytes { get; private set; } = [];

        /// <summary>A Write was seen and not acknowledged yet.</summary>
        public bool WriteOutstanding { get; private set; }

        public Conn(ConnectionActorTests kit, ServerSettings settings, IRequestRouter? router = null, bool rejectOverCapacity = false,
            RouteSettings? routeSettings = null)
        {
            _kit = kit;
            Tcp = kit.CreateTestProbe();
            Handler = kit.CreateTestProbe();
            Parent = kit.CreateTestProbe();
            _settler = kit.CreateTestProbe();
            // Settle relies on this: a probe on the calling-thread dispatcher has a message in its queue as soon as the
            // sender's Tell returns (Akka.TestKit's akka.test.test-actor.dispatcher).
            foreach (var probe in new[] { Tcp, Handler, Parent, _settler })
                Assert.IsType<CallingThreadDispatcher>(((ActorCell)((ActorRefWithCell)probe.Ref).Underlying).Dispatcher);
            var props = HttpConnectionActor.Props(Tcp.Ref, new IPEndPoint(IPAddress.Loopback, 5555), settings with { Clock = Clock },
                router ?? (routeSettings is null ? new ProbeRouter(Handler.Ref) : new SettingsRouter(Handler.Ref, routeSettings)), new HttpResponseRenderer("ActorHttp"),
                new ListenerTelemetry(new IPEndPoint(IPAddress.Loopback, 8080)), rejectOverCapacity);
            Actor = Parent.ChildActorOf(props);
        }

        /// <summary>
        /// A barrier: returns once the connection actor has processed every message sent to it before the call, so
        /// everything it sent in return is already in the probes' queues (they run on the calling thread: the actor's
        /// Tell puts the message there). An <see cref="Identify"/> is answered in mailbox order; it is sent twice in a
        /// row because a message the actor processes may make it tell itself a follow-up (WriteDeferred: one turn of
        /// the mailbox, never more than one in a row), which lands behind the first Identify but ahead of the second.
        /// A stopped actor's Identify is answered by dead letters (subject null), after its PostStop has run: still a
        /// barrier. Returns whether the actor is alive.
        /// </summary>
        public bool Settle()
        {
            ActorIdentity identity = null!;
            for (var round = 0; round < 2; round++)
            {
                var id = ++_identifyId;
                Actor.Tell(new Identify(id), _settler.Ref);
                identity = _settler.ExpectMsg<ActorIdentity>(i => Equals(i.MessageId, id), Wait);
            }
            return identity.Subject != null;
        }

        /// <summary>
        /// Moves the connection's clock. Settles first: the actor must have armed its timer for everything told so far,
        /// or a deadline set by a message still in its mailbox would be passed over. A timer that comes due fires
        /// during the advance, on this thread (it tells the actor CheckTimeouts); the second settle lets the actor
        /// process that, so whatever the timeout does is in the probes' queues when this returns.
        /// </summary>
        public void Advance(TimeSpan by)
        {
            Settle();
            Clock.Advance(by);
            Settle();
        }

        public void Send(string text) => Actor.Tell(new Tcp.Received(ByteString.FromString(text, Encoding.ASCII)), Tcp.Ref);

        public void Send(byte[] bytes) => Actor.Tell(new Tcp.Received(ByteString.FromBytes(bytes)), Tcp.Ref);

        public void Ack()
        {
            Assert.True(WriteOutstanding, "test bug: ack without an outstanding write");
            WriteOutstanding = false;
            Actor.Tell(WriteAck.Instance, Tcp.Ref);
        }

        /// <summary>The next transport message, or null after <paramref name="max"/>. Checks the one-write-at-a-time rule.</summary>
        private object? Next(TimeSpan max)
        {
            var message = Tcp.ReceiveOne(max);
            while (message is Akka.IO.Tcp.ResumeReading)
            {
                // Pull mode: the next read asked for. Logged (see ReadsRequested), never the message a test waits for.
                TcpLog.Add(message);
                message = Tcp.ReceiveOne(max);
            }
            if (message == null) return null;
            if (message is Tcp.Write write)
            {
                Assert.False(WriteOutstanding, "a second Tcp.Write was sent before the previous one was acknowledged");
                Assert.Same(WriteAck.Instance, write.Ack);
                WriteOutstanding = true;
                LastWriteBytes = write.Data.ToArray();
                var text = Decode(write);
                TcpLog.Add(text);
                return text;
            }
            TcpLog.Add(message);
            return message;
        }

        /// <summary>Fishes for the next Write (waiting at most <see cref="Wait"/>) and returns its bytes as text; acknowledges it unless told not to.</summary>
        public string ExpectWrite(bool ack = true)
        {
            var deadline = DateTime.UtcNow + Wait;
            while (true)
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero) break;
                var message = Next(remaining);
                if (message == null) break;
                if (message is string text)
                {
                    if (ack) Ack();
                    return text;
                }
                Assert.False(message is Tcp.CloseCommand, $"expected a Tcp.Write, got {message.GetType().Name} first");
            }
            Assert.Fail($"no Tcp.Write within {Wait}; transport saw: {Describe()}");
            return null!;
        }

        /// <summary>Fishes for a message of type <typeparamref name="T"/> (waiting at most <see cref="Wait"/>); fails if a Write comes first (unless allowed).</summary>
        public T Expect<T>(bool allowWrites = false)
        {
            var deadline = DateTime.UtcNow + Wait;
            while (true)
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero) break;
                var message = Next(remaining);
                if (message == null) break;
                if (message is T t) return t;
                if (message is string text && !allowWrites)
                    Assert.Fail($"expected {typeof(T).Name}, got a Tcp.Write first:\n{text}");
            }
            Assert.Fail($"no {typeof(T).Name} within {Wait}; transport saw: {Describe()}");
            return default!;
        }

        /// <summary>
        /// After <see cref="Settle"/>: the actor is alive and has sent the transport no Write and no close command
        /// (other transport messages are taken and logged).
        /// </summary>
        public void ExpectNothingWrittenOrClosed()
        {
            var alive = Settle();
            while (Tcp.HasMessages)
            {
                if (Next(TimeSpan.Zero) is not { } message) break; // read requests only
                Assert.False(message is string, $"unexpected Tcp.Write:\n{message}");
                Assert.False(message is Tcp.CloseCommand, $"unexpected {message.GetType().Name}");
            }
            Assert.True(alive, $"the connection actor stopped; transport saw: {Describe()}");
        }

        /// <summary>The next request at the handler, and the sender to answer it through.</summary>
        public (HttpRequest Request, IActorRef Slot) ExpectRequest()
        {
            var request = Handler.ExpectMsg<HttpRequest>(Wait);
            return (request, Handler.LastSender);
        }

        public IActorRef ExpectRequest(string path)
        {
            var (request, slot) = ExpectRequest();
            Assert.Equal(path, request.Path);
            Assert.IsType<ResponseSlot>(slot);
            return slot;
        }

        /// <summary>After <see cref="Settle"/>: the handler got nothing more.</summary>
        public void ExpectNoRequest()
        {
            Settle();
            ExpectNothingAt(Handler, "the handler");
        }

        /// <summary>After <see cref="Settle"/>: the parent (the listener) got nothing, such as ConnectionStopped.</summary>
        public void ExpectNothingAtParent()
        {
            Settle();
            ExpectNothingAt(Parent, "the parent");
        }

        /// <summary>After <see cref="Settle"/>: the transport got nothing (not even an Abort) but requests for reads.</summary>
        public void ExpectNothingAtTransport()
        {
            Settle();
            TakeReadRequests();
            ExpectNothingAt(Tcp, "the transport");
        }

        /// <summary>After <see cref="Settle"/>: the reads the connection has asked of the transport (pull mode) since the test began.</summary>
        public int ReadsRequested
        {
            get
            {
                Settle();
                TakeReadRequests();
                return TcpLog.Count(m => m is Akka.IO.Tcp.ResumeReading);
            }
        }

        /// <summary>Moves the read requests at the head of the transport's queue into <see cref="TcpLog"/>.</summary>
        private void TakeReadRequests()
        {
            while (Tcp.HasMessages && Tcp.ReceiveOne(TimeSpan.Zero) is { } message)
            {
                TcpLog.Add(message);
                if (message is not Akka.IO.Tcp.ResumeReading) Assert.Fail($"the transport got an unexpected {message.GetType().Name}");
            }
        }

        private static void ExpectNothingAt(TestProbe probe, string who)
        {
            if (probe.HasMessages) Assert.Fail($"{who} got an unexpected {probe.ReceiveOne(TimeSpan.Zero)?.GetType().Name}");
        }

        public void WatchAndExpectStopped()
        {
            _kit.Watch(Actor);
            _kit.ExpectTerminated(Actor, Wait);
            Parent.ExpectMsg<ConnectionStopped>(Wait);
        }

        public string Describe() =>
            string.Join(", ", TcpLog.Select(m => m is string s ? $"Write({s.Length} bytes)" : m.GetType().Name));
    }

    private static string Decode(Tcp.Write write) => Encoding.ASCII.GetString(write.Data.ToArray());

    private Conn Connect(ServerSettings? settings = null, IRequestRouter? router = null, bool rejectOverCapacity = false) =>
        new(this, settings ?? Slow, router, rejectOverCapacity);

    private static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Asserts <paramref name="text"/> holds exactly the given bodies' responses, in that order.</summary>
    private static void AssertResponsesInOrder(string text, params string[] bodies)
    {
        Assert.Equal(bodies.Length, Count(text, "HTTP/1.1 "));
        var at = -1;
        foreach (var body in bodies)
        {
            var i = text.IndexOf("\r\n\r\n" + body, StringComparison.Ordinal);
            Assert.True(i > at, $"response '{body}' is not after the previous one in:\n{text}");
            at = i;
        }
    }

    private static string Req(string path, string extra = "") => $"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n";

    // ================================================================== keep-alive

    [Fact]
    public void An_idle_keep_alive_connection_holds_neither_its_last_request_nor_its_body()
    {
        var c = Connect();
        var request = AnswerUpload(c);
        c.Settle();
        // The probe remembers the last message and sender it saw: replace them before looking.
        c.Handler.Ref.Tell("later");
        c.Handler.ExpectMsg("later");
        for (var i = 0; i < 3 && request.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(request.IsAlive, "the connection still holds its answered request (and its 200 KB body) while idle");
        c.ExpectNothingWrittenOrClosed();
    }

    /// <summary>A POST with a 200 KB body, answered; returns a weak reference to the request the handler got.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference AnswerUpload(Conn c)
    {
        c.Send($"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n{new string('b', 200_000)}");
        var (request, slot) = c.ExpectRequest();
        Assert.Equal(200_000, request.Body.Count);
        slot.Tell(HttpResponse.Text("stored"));
        Assert.EndsWith("stored", c.ExpectWrite());
        return new WeakReference(request);
    }

    [Fact]
    public void Http11_keep_alive_two_sequential_requests_get_two_responses_and_no_close()
    {
        var c = Connect();
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("one"));
        var first = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", first);
        Assert.EndsWith("\r\n\r\none", first);
        Assert.Contains("Content-Length: 3\r\n", first);
        Assert.Contains("Server: ActorHttp\r\n", first);
        Assert.DoesNotContain("Connection:", first);

        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("two"));
        var second = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", second);
        Assert.EndsWith("\r\n\r\ntwo", second);
        Assert.DoesNotContain("Connection:", second);

        c.ExpectNothingWrittenOrClosed();
        c.ExpectNothingAtParent();
    }

    [Fact]
    public void Http10_without_keep_alive_gets_connection_close_and_ConfirmedClose_after_the_ack()
    {
        var c = Connect();
        c.Send("GET / HTTP/1.0\r\nHost: x\r\n\r\n");
        var (request, slot) = c.ExpectRequest();
        Assert.Equal(HttpProtocol.Http10, request.Protocol);
        slot.Tell(HttpResponse.Text("old"));

        var text = c.ExpectWrite(ack: false);
        Assert.Contains("Connection: close\r\n", text);
        Assert.EndsWith("\r\n\r\nold", text);
        c.ExpectNothingWrittenOrClosed(); // not before the write is acknowledged
        c.Ack();
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Http10_with_keep_alive_gets_connection_keep_alive_and_stays_open()
    {
        var c = Connect();
        for (var i = 0; i < 2; i++)
        {
            c.Send("GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
            c.ExpectRequest("/").Tell(HttpResponse.Text("kept"));
            var text = c.ExpectWrite();
            Assert.Contains("Connection: keep-alive\r\n", text);
            Assert.DoesNotContain("close", text);
        }
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void Http11_connection_close_gets_response_then_ConfirmedClose_and_stops_on_ConfirmedClosed()
    {
        var c = Connect();
        c.Send(Req("/", "Connection: close\r\n"));
        c.ExpectRequest("/").Tell(HttpResponse.Text("bye"));
        var text = c.ExpectWrite();
        Assert.Contains("Connection: close\r\n", text);
        c.Expect<Tcp.ConfirmedClose>();

        Watch(c.Actor);
        c.Actor.Tell(Tcp.ConfirmedClosed.Instance, c.Tcp.Ref);
        ExpectTerminated(c.Actor, Wait);
        c.Parent.ExpectMsg<ConnectionStopped>(Wait);
        c.ExpectNothingAtTransport(); // closed cleanly: no Abort to a transport that is gone
    }

    [Fact]
    public void Handler_response_with_CloseConnection_closes_after_it()
    {
        var c = Connect();
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("last") with { CloseConnection = true });
        Assert.Contains("Connection: close\r\n", c.ExpectWrite());
        c.Expect<Tcp.ConfirmedClose>();
    }

    // ================================================================== pipelining

    [Fact]
    public void Pipelined_requests_answered_in_reverse_are_written_in_request_order_in_one_write()
    {
        var c = Connect();
        c.Send(Req("/1") + Req("/2") + Req("/3"));
        var s1 = c.ExpectRequest("/1");
        var s2 = c.ExpectRequest("/2");
        var s3 = c.ExpectRequest("/3");

        s3.Tell(HttpResponse.Text("r3"));
        s2.Tell(HttpResponse.Text("r2"));
        c.ExpectNothingWrittenOrClosed(); // nothing may go out before the first response
        s1.Tell(HttpResponse.Text("r1"));

        var text = c.ExpectWrite();
        AssertResponsesInOrder(text, "r1", "r2", "r3");
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void Responses_answered_while_a_write_is_outstanding_are_batched_into_the_next_single_write()
    {
        var c = Connect();
        c.Send(Req("/1") + Req("/2") + Req("/3"));
        var s1 = c.ExpectRequest("/1");
        var s2 = c.ExpectRequest("/2");
        var s3 = c.ExpectRequest("/3");

        s1.Tell(HttpResponse.Text("r1"));
        AssertResponsesInOrder(c.ExpectWrite(ack: false), "r1");

        s3.Tell(HttpResponse.Text("r3"));
        s2.Tell(HttpResponse.Text("r2"));
        c.ExpectNothingWrittenOrClosed(); // one write at a time
        c.Ack();

        AssertResponsesInOrder(c.ExpectWrite(), "r2", "r3");
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void A_second_reply_to_the_same_request_is_ignored()
    {
        var c = Connect();
        c.Send(Req("/1") + Req("/2"));
        var s1 = c.ExpectRequest("/1");
        var s2 = c.ExpectRequest("/2");
        s2.Tell(HttpResponse.Text("r2"));
        s2.Tell(HttpResponse.Text("r2-again"));
        s1.Tell(HttpResponse.Text("r1"));
        var text = c.ExpectWrite();
        AssertResponsesInOrder(text, "r1", "r2");
        Assert.DoesNotContain("again", text);
        s2.Tell(HttpResponse.Text("r2-late"));
        c.ExpectNothingWrittenOrClosed();
    }

    // ================================================================== backpressure

    [Fact]
    public void Pipelining_limit_suspends_reading_and_resumes_once_responses_go_out()
    {
        var c = Connect(Slow with { PipeliningLimit = 2 });
        c.Send(Req("/1") + Req("/2") + Req("/3") + Req("/4") + Req("/5"));

        var s1 = c.ExpectRequest("/1");
        var s2 = c.ExpectRequest("/2");
        c.ExpectNoRequest();
        Assert.Equal(0, c.ReadsRequested); // at the limit: no further read is asked for (the first came with the Register)

        s1.Tell(HttpResponse.Text("r1"));
        AssertResponsesInOrder(c.ExpectWrite(ack: false), "r1");
        s2.Tell(HttpResponse.Text("r2"));
        c.ExpectNothingWrittenOrClosed(); // at most one write outstanding
        c.Ack();
        AssertResponsesInOrder(c.ExpectWrite(), "r2");

        for (var i = 3; i <= 5; i++)
        {
            c.ExpectRequest("/" + i).Tell(HttpResponse.Text("r" + i));
            AssertResponsesInOrder(c.ExpectWrite(), "r" + i);
        }
        c.ExpectNoRequest();
        c.ExpectNothingWrittenOrClosed();

        Assert.True(c.ReadsRequested >= 1, $"reading was not asked for again once responses went out; transport saw: {c.Describe()}");
    }

    /// <summary>
    /// A partial request left in the buffer when reading resumes after the pipelining limit gets the full header
    /// timeout from then on, not an immediate 408 from a stale start time.
    /// </summary>
    [Fact]
    public void Partial_request_parsed_after_resuming_is_not_timed_out_early()
    {
        var c = Connect(Slow with { PipeliningLimit = 2, RequestHeaderTimeout = TimeSpan.FromSeconds(30) });
        c.Send(Req("/1") + Req("/2") + "GET /3 HTTP/1.1\r\nHost: x\r\n");
        var s1 = c.ExpectRequest("/1");
        var s2 = c.ExpectRequest("/2");
        c.Advance(TimeSpan.FromSeconds(20)); // the partial /3 waits, unparsed, behind the limit
        c.ExpectNothingWrittenOrClosed();
        s1.Tell(HttpResponse.Text("r1"));
        s2.Tell(HttpResponse.Text("r2"));
        var written = c.ExpectWrite();
        if (!written.Contains("r2")) written += c.ExpectWrite(); // one write, or two if r2 came after r1 went out
        AssertResponsesInOrder(written, "r1", "r2");
        // /3's head began when reading resumed (20 s): its 30 s run to 50 s, not to 30 s.
        c.Advance(TimeSpan.FromSeconds(30) - Ms(1));
        c.ExpectNothingWrittenOrClosed(); // no 408
        c.Send("\r\n");
        c.ExpectRequest("/3").Tell(HttpResponse.Text("r3"));
        AssertResponsesInOrder(c.ExpectWrite(), "r3");
    }

    /// <summary>After the client's FIN, every complete request it sent is answered, also those held back by the pipelining limit.</summary>
    [Fact]
    public void Peer_close_after_pipelining_past_the_limit_still_answers_every_complete_request()
    {
        var c = Connect(Slow with { PipeliningLimit = 2 });
        c.Send(Req("/1") + Req("/2") + Req("/3") + Req("/4") + "GET /partial");
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        var written = new StringBuilder();
        for (var i = 1; i <= 4; i++)
        {
            c.ExpectRequest("/" + i).Tell(HttpResponse.Text("r" + i));
            written.Append(c.ExpectWrite());
        }
        AssertResponsesInOrder(written.ToString(), "r1", "r2", "r3", "r4");
        c.Expect<Tcp.Close>();
        c.ExpectNoRequest();
    }

    /// <summary>
    /// A client that pipelines requests but never reads its responses must not make the server buffer responses
    /// without bound: while the first write is unacknowledged, reading has to stop after a bounded number of
    /// requests (here: at most twice the pipelining limit of 10 pipelined requests).
    /// </summary>
    [Fact]
    public void Pipelining_limit_bounds_buffered_responses_while_a_write_is_unacknowledged()
    {
        const int limit = 2, sent = 10;
        var c = Connect(Slow with { PipeliningLimit = limit });
        c.Send(string.Concat(Enumerable.Range(1, sent).Select(i => Req("/" + i))));

        // Answer every request that arrives, until the connection reads no more; never acknowledge the first write.
        var answered = 0;
        while (answered < sent)
        {
            c.Settle(); // every request the connection will dispatch for what it was told so far is with the handler
            if (!c.Handler.HasMessages) break;
            while (c.Handler.HasMessages)
            {
                Assert.IsType<HttpRequest>(c.Handler.ReceiveOne(TimeSpan.Zero));
                c.Handler.LastSender.Tell(HttpResponse.Text("r" + ++answered));
            }
        }
        c.ExpectWrite(ack: false);
        Assert.True(answered <= 2 * limit,
            $"{answered} of {sent} pipelined requests were read and answered while the first write was never acknowledged " +
            $"(pipelining limit {limit}): responses pile up unwritten; transport saw: {c.Describe()}");
    }

    // ================================================================== timeouts

    [Fact]
    public void Handler_that_never_answers_gets_503_and_a_late_reply_is_dropped()
    {
        var c = Connect(Fast with { IdleTimeout = TimeSpan.FromSeconds(60) });
        c.Send(Get11);
        var slot = c.ExpectRequest("/");

        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed(); // not before the response timeout (300 ms)
        c.Advance(Ms(1));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", text);
        Assert.Contains("Retry-After: 1\r\n", text);
        Assert.DoesNotContain("Connection: close", text);

        slot.Tell(HttpResponse.Text("too late"));
        c.ExpectNothingWrittenOrClosed(); // no second response, and the connection stays open
    }

    [Fact]
    public void Timed_out_request_does_not_block_the_next_pipelined_response()
    {
        var c = Connect(Fast with { IdleTimeout = TimeSpan.FromSeconds(60) });
        c.Send(Req("/1") + Req("/2"));
        var s1 = c.ExpectRequest("/1");
        c.ExpectRequest("/2").Tell(HttpResponse.Text("r2"));
        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed(); // r2 waits for /1
        c.Advance(Ms(1));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 503 ", text);
        Assert.EndsWith("\r\n\r\nr2", text);
        s1.Tell(HttpResponse.Text("r1-late"));
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void Partial_head_then_silence_gets_408_with_connection_close_then_ConfirmedClose()
    {
        var c = Connect(Fast);
        c.Send("GET / HTTP/1.1\r\nHost: x\r\n");
        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed(); // not before the header timeout (300 ms)
        c.Advance(Ms(1));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", text);
        Assert.Contains("Connection: close\r\n", text);
        c.Expect<Tcp.ConfirmedClose>();
        c.ExpectNoRequest();
    }

    /// <summary>The body deadline runs from the end of the head, with the body timeout (here longer than the header timeout).</summary>
    [Fact]
    public void Partial_body_then_silence_gets_408_at_the_body_timeout()
    {
        var c = Connect(Fast with { RequestBodyTimeout = Ms(400) });
        c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        c.Advance(Ms(399));
        c.ExpectNothingWrittenOrClosed(); // neither the header timeout (300 ms) nor the body timeout yet
        c.Advance(Ms(1));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", text);
        Assert.Contains("Connection: close\r\n", text);
        c.Expect<Tcp.ConfirmedClose>();
        c.ExpectNoRequest();
    }

    [Fact]
    public void Idle_connection_is_closed_without_any_write()
    {
        var c = Connect(Fast);
        c.Advance(Ms(499));
        c.ExpectNothingWrittenOrClosed(); // not before the idle timeout (500 ms)
        c.Advance(Ms(1));
        c.Expect<Tcp.ConfirmedClose>(); // fails if a Write comes first
        c.Actor.Tell(Tcp.ConfirmedClosed.Instance, c.Tcp.Ref);
        c.WatchAndExpectStopped();
    }

    [Fact]
    public void Idle_keep_alive_connection_after_a_response_is_closed_without_a_further_write()
    {
        var c = Connect(Fast);
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("ok"));
        c.ExpectWrite();
        c.Advance(Ms(499));
        c.ExpectNothingWrittenOrClosed(); // idle counts from the write
        c.Advance(Ms(1));
        c.Expect<Tcp.ConfirmedClose>();
    }

    /// <summary>A write that takes long to be acknowledged (a slow reader) still leaves the client the whole idle timeout after it.</summary>
    [Fact]
    public void Idle_timeout_counts_from_the_ack_of_the_last_write()
    {
        var c = Connect(Fast);
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("ok"));
        c.ExpectWrite(ack: false);
        c.Advance(Ms(450)); // the transport takes its time
        c.Ack();
        c.Advance(Ms(499));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        c.Expect<Tcp.ConfirmedClose>();
    }

    /// <summary>
    /// The idle timeout after a response must not wait for the (longer) response timeout: the deadlines set on
    /// reply/ack have to be scheduled.
    /// </summary>
    [Fact]
    public void Idle_timeout_after_a_response_applies_even_when_the_response_timeout_is_longer()
    {
        var c = Connect(Slow with { ResponseTimeout = TimeSpan.FromSeconds(30), IdleTimeout = Ms(300) });
        c.Send(Get11);
        var slot = c.ExpectRequest("/");
        // Answer after the first idle check has come and gone (it found a request in flight and re-armed the
        // timer for the 30 s response deadline).
        c.Advance(Ms(600));
        c.ExpectNothingWrittenOrClosed();
        slot.Tell(HttpResponse.Text("ok"));
        c.ExpectWrite();
        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed(); // idle counts from the write at 600 ms
        c.Advance(Ms(1)); // 900 ms: far before the 30 s response deadline the timer was armed for
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Closing_connection_whose_peer_never_confirms_stops_after_the_linger_timeout()
    {
        var c = Connect(Fast);
        c.Advance(Ms(500)); // idle
        c.Expect<Tcp.ConfirmedClose>();
        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed(); // still lingering (300 ms)
        c.ExpectNothingAtParent();
        c.Advance(Ms(1));
        c.WatchAndExpectStopped(); // linger expires: stop, and PostStop aborts
        c.Expect<Tcp.Abort>();
    }

    [Fact]
    public void Write_never_acknowledged_aborts_after_the_send_timeout()
    {
        var c = Connect(Fast with { SendTimeout = Ms(300) });
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("ok"));
        c.ExpectWrite(ack: false);
        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed(); // alive, no Abort yet
        c.ExpectNothingAtParent();
        c.Advance(Ms(1));
        c.WatchAndExpectStopped();
        c.Expect<Tcp.Abort>();
    }

    /// <summary>Same scheduling issue as the idle case: the send deadline set by a write must be scheduled.</summary>
    [Fact]
    public void Send_timeout_applies_even_when_the_response_timeout_is_longer()
    {
        // Idle 60 s, response 30 s: the only timer armed when the write starts is the 30 s response deadline.
        var c = Connect(Slow with { SendTimeout = Ms(300), ResponseTimeout = TimeSpan.FromSeconds(30) });
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("ok"));
        c.ExpectWrite(ack: false);
        c.Advance(Ms(299));
        c.ExpectNothingWrittenOrClosed();
        Watch(c.Actor);
        c.Advance(Ms(1)); // 300 ms, not 30 s
        ExpectTerminated(c.Actor, Wait);
    }

    // ================================================================== errors

    [Fact]
    public void Malformed_request_gets_400_with_connection_close_and_later_bytes_are_ignored()
    {
        var c = Connect();
        c.Send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
        var text = c.ExpectWrite(ack: false);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", text);
        Assert.Contains("Connection: close\r\n", text);

        c.Send(Get11); // before the ack
        c.ExpectNothingWrittenOrClosed();
        c.Ack();
        c.Expect<Tcp.ConfirmedClose>();
        c.Send(Get11); // while closing
        c.ExpectNothingWrittenOrClosed();
        c.ExpectNoRequest();
    }

    [Fact]
    public void Malformed_request_after_a_pending_one_is_answered_after_it()
    {
        var c = Connect();
        c.Send(Req("/1") + "BAD\r\n\r\n");
        var s1 = c.ExpectRequest("/1");
        c.ExpectNothingWrittenOrClosed();
        s1.Tell(HttpResponse.Text("r1"));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.DoesNotContain("close", text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)]);
        var error = text[text.IndexOf("HTTP/1.1 400 Bad Request\r\n", StringComparison.Ordinal)..];
        Assert.Contains("Connection: close\r\n", error);
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Handler_failure_gets_500_and_the_connection_stays_open()
    {
        var c = Connect();
        c.Send(Get11);
        c.ExpectRequest("/").Tell(new Status.Failure(new Exception("boom")));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", text);
        Assert.DoesNotContain("Connection: close", text);
        Assert.DoesNotContain("boom", text);

        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("fine"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", c.ExpectWrite());
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void Handler_reply_that_is_not_a_response_gets_500()
    {
        var c = Connect();
        c.Send(Get11);
        c.ExpectRequest("/").Tell("not a response");
        Assert.StartsWith("HTTP/1.1 500 ", c.ExpectWrite());
    }

    private sealed class ThrowingRouter : IRequestRouter
    {
        public RouteDecision Route(HttpRequest request) => throw new InvalidOperationException("router bug");
    }

    [Fact]
    public void Router_exception_gets_500_and_the_connection_stays_open()
    {
        var c = Connect(router: new ThrowingRouter());
        c.Send(Get11);
        Assert.StartsWith("HTTP/1.1 500 ", c.ExpectWrite());
        c.Send(Get11);
        Assert.StartsWith("HTTP/1.1 500 ", c.ExpectWrite());
        c.ExpectNothingWrittenOrClosed();
    }

    // ================================================================== Expect: 100-continue

    [Fact]
    public void Expect_100_continue_writes_100_Continue_first_then_the_handler_gets_the_body()
    {
        var c = Connect();
        c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", c.ExpectWrite());
        c.ExpectNoRequest();

        c.Send("hello");
        var (request, slot) = c.ExpectRequest();
        Assert.Equal("POST", request.Method);
        Assert.Equal("hello", request.BodyAsString());
        slot.Tell(HttpResponse.Text("got it"));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.DoesNotContain("100 Continue", text);
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void Expect_100_continue_with_the_body_already_sent_writes_no_100_Continue()
    {
        var c = Connect();
        c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
        var (request, slot) = c.ExpectRequest();
        Assert.Equal("hello", request.BodyAsString());
        slot.Tell(HttpResponse.Text("got it"));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.DoesNotContain("100 Continue", text);
    }

    // ================================================================== peer close

    [Fact]
    public void PeerClosed_after_a_complete_request_still_writes_the_response_then_Close()
    {
        var c = Connect();
        c.Send(Get11);
        var slot = c.ExpectRequest("/");
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        c.ExpectNothingWrittenOrClosed();

        slot.Tell(HttpResponse.Text("still"));
        var text = c.ExpectWrite(ack: false);
        Assert.EndsWith("\r\n\r\nstill", text);
        c.ExpectNothingWrittenOrClosed();
        c.Ack();
        c.Expect<Tcp.Close>();

        c.Actor.Tell(Tcp.Closed.Instance, c.Tcp.Ref);
        c.WatchAndExpectStopped();
    }

    [Fact]
    public void PeerClosed_while_idle_closes_at_once()
    {
        var c = Connect();
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        c.Expect<Tcp.Close>();
    }

    [Fact]
    public void PeerClosed_with_a_partial_request_closes_without_dispatching_it()
    {
        var c = Connect();
        c.Send("GET / HTTP/1.1\r\nHo");
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        c.Expect<Tcp.Close>();
        c.ExpectNoRequest();
    }

    [Fact]
    public void ErrorClosed_or_CommandFailed_stops_the_actor()
    {
        var c = Connect();
        c.Actor.Tell(new Tcp.ErrorClosed("reset"), c.Tcp.Ref);
        c.WatchAndExpectStopped();
        Assert.False(c.Settle()); // the barrier still answers (through dead letters) and says so
        c.ExpectNothingAtTransport(); // the transport reported the close: no Abort

        var d = Connect();
        d.Actor.Tell(new Tcp.CommandFailed(Tcp.Write.Create(ByteString.FromString("x"))), d.Tcp.Ref);
        d.WatchAndExpectStopped();
    }

    // ================================================================== drain

    [Fact]
    public void Drain_while_idle_closes_at_once()
    {
        var c = Connect();
        c.Actor.Tell(DrainConnection.Instance);
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Drain_while_a_request_is_in_flight_answers_it_with_connection_close()
    {
        var c = Connect();
        c.Send(Get11);
        var slot = c.ExpectRequest("/");
        c.Actor.Tell(DrainConnection.Instance);
        c.ExpectNothingWrittenOrClosed();

        slot.Tell(HttpResponse.Text("last"));
        var text = c.ExpectWrite();
        Assert.Contains("Connection: close\r\n", text);
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Drain_with_pipelined_requests_answers_all_and_only_the_last_says_close()
    {
        var c = Connect();
        c.Send(Req("/1") + Req("/2"));
        var s1 = c.ExpectRequest("/1");
        var s2 = c.ExpectRequest("/2");
        c.Actor.Tell(DrainConnection.Instance);
        s1.Tell(HttpResponse.Text("r1"));
        var first = c.ExpectWrite();
        Assert.DoesNotContain("Connection: close", first);
        s2.Tell(HttpResponse.Text("r2"));
        var second = c.ExpectWrite();
        Assert.Contains("Connection: close\r\n", second);
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void Drain_ignores_requests_received_afterwards()
    {
        var c = Connect();
        c.Send(Get11);
        var slot = c.ExpectRequest("/");
        c.Actor.Tell(DrainConnection.Instance);
        c.Send(Req("/after"));
        c.ExpectNoRequest();
        slot.Tell(HttpResponse.Text("last"));
        Assert.Contains("Connection: close\r\n", c.ExpectWrite());
        c.Expect<Tcp.ConfirmedClose>();
    }

    /// <summary>
    /// Drain arriving after the last response was handed to the transport but before its ack: once the ack comes
    /// nothing is left to answer, so the connection must close then (not at the idle timeout, here 60 s).
    /// </summary>
    [Fact]
    public void Drain_while_the_last_write_is_unacknowledged_closes_after_the_ack()
    {
        var c = Connect();
        c.Send(Get11);
        c.ExpectRequest("/").Tell(HttpResponse.Text("ok"));
        c.ExpectWrite(ack: false);
        c.Actor.Tell(DrainConnection.Instance);
        c.Ack();
        c.Expect<Tcp.ConfirmedClose>(); // the clock never moves: not the idle timeout
    }

    // ================================================================== over capacity

    [Fact]
    public void Over_capacity_connection_gets_503_with_retry_after_and_close_at_once()
    {
        var c = Connect(rejectOverCapacity: true);
        c.ExpectNothingWrittenOrClosed(); // nothing before the listener's go-ahead
        c.Actor.Tell(RejectOverCapacity.Instance);
        var text = c.ExpectWrite(ack: false);
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", text);
        Assert.Contains("Retry-After: 1\r\n", text);
        Assert.Contains("Connection: close\r\n", text);

        c.Send(Get11);
        c.ExpectNoRequest();
        c.Ack();
        c.Expect<Tcp.ConfirmedClose>();
        c.Actor.Tell(Tcp.ConfirmedClosed.Instance, c.Tcp.Ref);
        c.WatchAndExpectStopped();
    }

    // ================================================================== with the real route table and handlers

    [Fact]
    public void RouteTable_routes_to_the_probe_and_answers_404_and_405_itself()
    {
        var handler = CreateTestProbe("routed");
        var table = new RouteTable(new Routes().Get("/hello/{name}", handler.Ref).Definitions.Select(d => (d, handler.Ref)));
        var c = Connect(router: table);

        c.Send(Req("/hello/world"));
        var request = handler.ExpectMsg<HttpRequest>(Wait);
        Assert.Equal("world", request.RouteValues["name"]);
        handler.Reply(HttpResponse.Text("hi world"));
        Assert.EndsWith("\r\n\r\nhi world", c.ExpectWrite());

        c.Send(Req("/nowhere"));
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", c.ExpectWrite());

        c.Send("DELETE /hello/x HTTP/1.1\r\nHost: x\r\n\r\n");
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", text);
        Assert.Contains("Allow: GET, HEAD\r\n", text);
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void Pipelined_mix_of_routed_and_immediate_answers_keeps_request_order()
    {
        var handler = CreateTestProbe("routed");
        var table = new RouteTable(new Routes().Get("/slow", handler.Ref).Definitions.Select(d => (d, handler.Ref)));
        var c = Connect(router: table);

        c.Send(Req("/slow") + Req("/missing"));
        handler.ExpectMsg<HttpRequest>(Wait);
        c.ExpectNothingWrittenOrClosed(); // the 404 is ready but must wait for /slow
        handler.Reply(HttpResponse.Text("slow"));
        var text = c.ExpectWrite();
        Assert.True(text.IndexOf("slow", StringComparison.Ordinal) < text.IndexOf("404 Not Found", StringComparison.Ordinal), text);
    }

    [Fact]
    public void Real_TextHandler_and_HEAD_requests_through_the_route_table()
    {
        var handler = Sys.ActorOf(TextHandler.Props("Hello, World!"));
        var table = new RouteTable(new Routes().Get("/plaintext", handler).Definitions.Select(d => (d, handler)));
        var c = Connect(router: table);

        c.Send(Req("/plaintext"));
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("Content-Type: text/plain\r\n", text);
        Assert.EndsWith("\r\n\r\nHello, World!", text);

        c.Send("HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head);
        Assert.Contains("Content-Length: 13\r\n", head);
        Assert.EndsWith("\r\n\r\n", head); // no body
    }

    [Fact]
    public void Request_split_across_many_Received_messages_is_assembled()
    {
        var c = Connect();
        var wire = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world" + Req("/next");
        foreach (var ch in wire) c.Send(ch.ToString());
        var (request, slot) = c.ExpectRequest();
        Assert.Equal("hello world", request.BodyAsString());
        slot.Tell(HttpResponse.Text("a"));
        c.ExpectWrite();
        c.ExpectRequest("/next").Tell(HttpResponse.Text("b"));
        Assert.EndsWith("\r\n\r\nb", c.ExpectWrite());
    }
}
