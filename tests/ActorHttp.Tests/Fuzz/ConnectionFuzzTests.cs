using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Fuzz;

/// <summary>
/// Mutated requests, split into random reads, through a real <see cref="HttpConnectionActor"/> whose transport is played
/// by the test (writes acknowledged, one read per ResumeReading as in pull mode, the client's FIN at the end). Everything runs on the
/// calling thread, so each input is processed to quiescence at once; the connection reads a fake clock that never moves,
/// so no timer fires (the timeouts are not what is fuzzed). Per input: no exception escapes the actor (no Error
/// event, nothing thrown), every request that reached routing is answered exactly once, at most one more response (the
/// error that ends parsing) is written, and the connection closes.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed partial class ConnectionFuzzTests : TestKit
{
    private static readonly ParserSettings Limits = new(
        MaxRequestLineLength: 128, MaxHeaderCount: 10, MaxHeaderSectionSize: 512, MaxBodySize: 1000,
        MaxChunkLineLength: 64, MaxMethodLength: 32, StreamBodyThreshold: 64);

    private readonly ITestOutputHelper _output;

    public ConnectionFuzzTests(ITestOutputHelper output)
        : base(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = 0")
            .WithFallback(ActorHttp.Server.HttpServer.DefaultConfig()), output: output) => _output = output; // the connection's mailbox is configured there

    /// <summary>Requests to <c>/r</c> are read to the end (streamed bodies too) and answered "ok"; others are answered at once.</summary>
    private sealed class Handler : ReceiveActor
    {
        private IActorRef? _uploadSlot;

        public Handler()
        {
            Receive<HttpRequest>(request =>
            {
                if (request.BodyStreamed && request.Path == "/r")
                {
                    _uploadSlot = Sender;
                    Sender.Tell(RequestBodyStream.Read.Instance);
                    return;
                }
                Sender.Tell(HttpResponse.Text("ok"));
            });
            Receive<RequestBodyStream.Part>(_ => _uploadSlot?.Tell(RequestBodyStream.Read.Instance));
            Receive<RequestBodyStream.Completed>(_ =>
            {
                _uploadSlot?.Tell(HttpResponse.Text("ok"));
                _uploadSlot = null;
            });
            Receive<RequestBodyStream.Failed>(_ => _uploadSlot = null);
        }
    }

    /// <summary>Counts the requests routed; <c>/plaintext</c> is answered by the router itself.</summary>
    private sealed class CountingRouter(IActorRef handler) : IRequestRouter
    {
        public int Routed;

        public RouteDecision Route(HttpRequest request)
        {
            Routed++;
            return request.Path == "/plaintext"
                ? RouteDecision.Respond(HttpResponse.Text("p"))
                : RouteDecision.Dispatch(handler, request);
        }
    }

    /// <summary>
    /// Stands in for the listener: creates the connection, stops it on failure (as the listener does) and keeps the
    /// exception, and reports ConnectionStopped to the test.
    /// </summary>
    private sealed class Parent : UntypedActor
    {
        private readonly IActorRef _reportTo;
        public Exception? Failure;
        public IActorRef Child = ActorRefs.Nobody;

        public Parent(Props child, IActorRef reportTo)
        {
            _reportTo = reportTo;
            Child = Context.ActorOf(child);
        }

        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
        {
            Failure = e;
            _reportTo.Tell(new Status.Failure(e));
            return Directive.Stop;
        });

        protected override void OnReceive(object message) => _reportTo.Forward(message);
    }

    [GeneratedRegex(@"HTTP/1\.1 (\d{3}) ")]
    private static partial Regex StatusLine();

    [Fact]
    public void Mutated_requests_never_escape_the_actor_and_get_at_most_one_response_each()
    {
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Akka.Event.Error));
        // A TestActorRef is started when it is returned. Sys.ActorOf would start the handler later, on a pool thread
        // (the user guardian's): requests sent to it before then would be answered on that thread, after the fact.
        var handler = new TestActorRef<Handler>(Sys, Props.Create(() => new Handler()).WithDispatcher(CallingThreadDispatcher.Id));
        var settings = ServerSettings.Default with
        {
            Parsing = Limits,
            PipeliningLimit = 2, // reading is suspended and resumed often
            Dispatcher = CallingThreadDispatcher.Id,
            IdleTimeout = TimeSpan.FromMinutes(5),
            RequestHeaderTimeout = TimeSpan.FromMinutes(5),
            RequestBodyTimeout = TimeSpan.FromMinutes(5),
            ResponseTimeout = TimeSpan.FromMinutes(5),
            SendTimeout = TimeSpan.FromMinutes(5),
            LingerTimeout = TimeSpan.FromMinutes(5),
        };
        var renderer = new HttpResponseRenderer("ActorHttp");
        var settler = CreateTestProbe(); // receives the ActorIdentity replies of Settle
        long identifyId = 0;
        int samples = 0, routedTotal = 0, responsesTotal = 0, rejected = 0;

        FuzzInputs.Split.Sample(split =>
        {
            var tcp = CreateTestProbe();
            var parent = CreateTestProbe();
            var router = new CountingRouter(handler);
            var props = HttpConnectionActor.Props(tcp.Ref, new IPEndPoint(IPAddress.Loopback, 5555),
                settings with { Clock = new FakeTimeProvider() }, router, renderer,
                new ListenerTelemetry(new IPEndPoint(IPAddress.Loopback, 8080)), false);
            var listener = new TestActorRef<Parent>(Sys, Props.Create(() => new Parent(props, parent.Ref)).WithDispatcher(CallingThreadDispatcher.Id));
            var connection = listener.UnderlyingActor.Child;
            var written = new StringBuilder();
            bool readRequested = true, closed = false; // pull mode: the listener asks the first read

            // What the connection asked of its transport, answered as Akka.IO would.
            void Handle(object? command)
            {
                switch (command)
                {
                    case Tcp.Write write:
                        written.Append(Encoding.Latin1.GetString(write.Data.ToArray()));
                        connection.Tell(WriteAck.Instance, tcp.Ref);
                        break;
                    case Tcp.ResumeReading: readRequested = true; break; // one read; a second ask while one is pending is no more
                    case Tcp.ConfirmedClose:
                        closed = true;
                        connection.Tell(Tcp.ConfirmedClosed.Instance, tcp.Ref);
                        break;
                    case Tcp.Close:
                        closed = true;
                        connection.Tell(Tcp.Closed.Instance, tcp.Ref);
                        break;
                    case Tcp.Abort:
                        closed = true;
                        connection.Tell(Tcp.Aborted.Instance, tcp.Ref);
                        break;
                }
            }

            void Pump()
            {
                while (tcp.HasMessages) Handle(tcp.ReceiveOne(TimeSpan.Zero));
            }

            // Everything runs on this thread, so the connection has processed all it was told when Tell returns. Before
            // calling it a hang, a barrier makes sure of that rather than assuming it (a calling-thread mailbox that
            // another thread is running would take the message and run it there): an Identify, answered in mailbox
            // order, twice (a follow-up the connection told itself lands behind the first). Then whatever it sent the
            // transport is in the probe; a stopped connection's Identify is answered by dead letters. True if the
            // transport got a command since: no command means the connection waits for what will never come.
            bool Settle()
            {
                for (var round = 0; round < 2; round++)
                {
                    var id = ++identifyId;
                    connection.Tell(new Identify(id), settler.Ref);
                    if (settler.ReceiveOne(TimeSpan.FromSeconds(10)) is not ActorIdentity identity || !Equals(identity.MessageId, id))
                        throw new Xunit.Sdk.XunitException($"the connection did not answer Identify: stuck in a message; written so far:\n{written}");
                }
                var progressed = tcp.HasMessages;
                Pump();
                return progressed;
            }

            var next = 0;
            while (!closed)
            {
                Pump();
                if (closed) break;
                if (!readRequested)
                {
                    // Handlers answer on this thread: once the connection has processed all it was told, it must have
                    // asked for the next read.
                    if (Settle()) continue;
                    throw new Xunit.Sdk.XunitException($"no read is asked for with {split.Pieces.Length - next} reads unsent; written so far:\n{written}");
                }
                if (next < split.Pieces.Length)
                {
                    var piece = split.Pieces[next++];
                    if (piece.Length == 0) continue; // Akka.IO never delivers an empty read (a read of 0 bytes is the peer's FIN)
                    readRequested = false; // pull mode: one read per ResumeReading
                    connection.Tell(new Tcp.Received(ByteString.CopyFrom(piece)), tcp.Ref);
                    continue;
                }
                connection.Tell(Tcp.PeerClosed.Instance, tcp.Ref); // the client's FIN: answer what is complete, then close
                Pump();
                while (!closed && Settle()) { }
                if (!closed) throw new Xunit.Sdk.XunitException($"the connection did not close after the client's FIN; written:\n{written}");
            }
            Pump();

            var statuses = StatusLine().Matches(written.ToString()).Select(m => int.Parse(m.Groups[1].Value)).ToList();
            var finals = statuses.Count(s => s >= 200);
            var errorsWritten = statuses.Count(s => s >= 400);
            if (listener.UnderlyingActor.Failure is { } failure)
            {
                while (errors.HasMessages) errors.ReceiveOne(TimeSpan.Zero);
                throw new Xunit.Sdk.XunitException($"the connection actor threw: {failure}");
            }
            var logged = new List<object>();
            while (errors.HasMessages) logged.Add(errors.ReceiveOne(TimeSpan.Zero)!);
            if (logged.Count > 0)
                throw new Xunit.Sdk.XunitException($"an error was logged: {string.Join("\n", logged)}");
            if (finals > router.Routed + 1 || errorsWritten > 1)
                throw new Xunit.Sdk.XunitException($"{finals} responses ({errorsWritten} errors) for {router.Routed} routed requests:\n{written}");
            if (finals < router.Routed)
                throw new Xunit.Sdk.XunitException($"{router.Routed} requests routed but only {finals} answered:\n{written}");
            var stopped = parent.ReceiveOne(TimeSpan.Zero);
            if (stopped is not ConnectionStopped)
                throw new Xunit.Sdk.XunitException($"the connection actor did not stop after closing (parent got {stopped?.GetType().Name ?? "nothing"})");

            samples++;
            routedTotal += router.Routed;
            responsesTotal += finals;
            if (errorsWritten > 0) rejected++;
            Sys.Stop(tcp.Ref);
            Sys.Stop(parent.Ref);
            Sys.Stop(listener);
        }, iter: 1500, threads: 1, print: FuzzInputs.Show, writeLine: _output.WriteLine);

        _output.WriteLine($"{samples} connections: {routedTotal} requests routed, {responsesTotal} responses, {rejected} ended by an error response");
        Assert.True(routedTotal > 300 && rejected > 100, "the inputs should reach both answered requests and rejections");
    }
}
