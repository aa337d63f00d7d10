// Transport ceiling for tests/Benchmarks/run-bench.sh: ActorHttp's shape with no HTTP work. An Akka.IO listener
// (Tcp.Bind, backlog 4096, ActorHttp's 8k frame size), one actor per accepted connection (Tcp.Register); a request is
// whatever ends in "\r\n\r\n" (no parsing: bodies are not supported), each one Told to ONE shared handler actor that
// answers the connection with the same pre-encoded response (200, Content-Length: 13, Content-Type: text/plain,
// "Hello, World!"; no Date, no Server header). The connection batches every answer it has into one Tcp.Write, one
// write outstanding at a time (ack-based), and, like ActorHttp, waits one turn of its mailbox for answers still on
// their way. A request head holding "Connection: close" gets "Connection: close" and the connection is closed after it.
//
// Usage: dotnet Ceiling.Yardstick.dll [--port N] [--no-hop]   (default port 5090, binds 127.0.0.1 only)
//   --no-hop   the connection actor answers itself: no message to a handler and back (the cost of that hop)

using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;

var port = 5090;
var noHop = false;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--port" && i + 1 < args.Length && int.TryParse(args[++i], out var p) && p is > 0 and < 65536) port = p;
    else if (args[i] == "--no-hop") noHop = true;
    else
    {
        Console.Error.WriteLine($"usage: Ceiling.Yardstick [--port N] [--no-hop]   (unknown or bad argument: {args[i]})");
        return 2;
    }
}

var system = ActorSystem.Create("ceiling", ConfigurationFactory.ParseString(
    "akka { loglevel = WARNING, stdout-loglevel = WARNING, log-dead-letters = 0, log-dead-letters-during-shutdown = off }"));
var handler = noHop ? null : system.ActorOf(Props.Create<Handler>(), "handler");
system.ActorOf(Props.Create(() => new Listener(port, handler)), "listener");
await system.WhenTerminated;
return 0;

static class Wire
{
    public static readonly byte[] Ok = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!"u8.ToArray();
    public static readonly byte[] OkClose = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nHello, World!"u8.ToArray();
    public static readonly object KeepAlive = new(), Close = new(); // the request messages: no allocation per request
}

sealed class Ack : Tcp.Event { public static readonly Ack Instance = new(); }
sealed class Deferred { public static readonly Deferred Instance = new(); }

/// <summary>The one shared handler: every request's answer, to the connection that sent it.</summary>
sealed class Handler : UntypedActor
{
    protected override void OnReceive(object message) => Sender.Tell(ReferenceEquals(message, Wire.Close) ? Wire.OkClose : Wire.Ok);
}

sealed class Listener(int port, IActorRef? handler) : UntypedActor
{
    protected override void PreStart()
    {
        var tcp = TcpSettings.Create(Context.System); // ActorHttp's io-frame-size 8k, buffers following it
        var settings = tcp with { MaxFrameSizeBytes = 8192, SendBufferSize = Math.Max(tcp.SendBufferSize, 16384), ReceiveBufferSize = Math.Max(tcp.ReceiveBufferSize, 16384) };
        Context.System.Tcp().Tell(new Tcp.Bind(Self, new IPEndPoint(IPAddress.Loopback, port), 4096, options: null, pullMode: false) { TcpSettings = settings });
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Connected:
                Sender.Tell(new Tcp.Register(Context.ActorOf(Props.CreateBy(new Producer(Sender, handler)))));
                break;
            case Tcp.Bound bound:
                Console.WriteLine($"listening on http://{bound.LocalAddress}{(handler == null ? " (--no-hop)" : "")}");
                break;
            case Tcp.CommandFailed failed:
                Console.Error.WriteLine($"error: cannot listen on 127.0.0.1:{port}: {(failed.Cause.HasValue ? failed.Cause.Value.Message : "bind failed")}");
                Environment.Exit(1);
                break;
        }
    }

    private sealed record Producer(IActorRef Tcp, IActorRef? Handler) : IIndirectActorProducer
    {
        public Type ActorType => typeof(Connection);
        public ActorBase Produce() => new Connection(Tcp, Handler);
        public void Release(ActorBase actor) { }
    }
}

sealed class Connection(IActorRef tcp, IActorRef? handler) : UntypedActor
{
    private byte[] _pending = new byte[4096], _inFlight = new byte[4096], _carry = [];
    private int _pendingLength, _carryLength, _awaiting;
    private bool _writing, _deferred, _deferralExpired, _closeRequested, _closing;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                if (!_closeRequested) OnReceived(received.Data);
                break;
            case byte[] answer:
                Answer(answer);
                Flush();
                break;
            case Ack:
                _writing = false;
                Flush();
                break;
            case Deferred:
                _deferralExpired = true;
                Flush();
                break;
            case Tcp.ConnectionClosed or Tcp.CommandFailed:
                Context.Stop(Self); // Akka.IO closes or aborts the socket
                break;
        }
    }

    private void OnReceived(ByteString data)
    {
        ReadOnlySpan<byte> input = data.ToReadOnlySpan(); // one piece: no copy
        if (_carryLength > 0) // a request head split between reads: join them (rare)
        {
            var joined = new byte[_carryLength + input.Length];
            _carry.AsSpan(0, _carryLength).CopyTo(joined);
            input.CopyTo(joined.AsSpan(_carryLength));
            input = joined;
        }
        int start = 0, end;
        while (!_closeRequested && (end = input[start..].IndexOf("\r\n\r\n"u8)) >= 0)
        {
            var head = input.Slice(start, end + 2);
            _closeRequested = head.IndexOf("\r\nConnection: close\r\n"u8) >= 0 || head.IndexOf("\r\nconnection: close\r\n"u8) >= 0;
            start += end + 4;
            _awaiting++;
            if (handler == null) Answer(_closeRequested ? Wire.OkClose : Wire.Ok);
            else handler.Tell(_closeRequested ? Wire.Close : Wire.KeepAlive, Self);
        }
        _carryLength = _closeRequested ? 0 : input.Length - start;
        if (_carryLength > 65536) { tcp.Tell(Tcp.Abort.Instance); return; }
        if (_carryLength > 0)
        {
            if (_carry.Length < _carryLength) _carry = new byte[Math.Max(_carryLength, 1024)];
            input[start..].CopyTo(_carry);
        }
        Flush();
    }

    private void Answer(byte[] response)
    {
        _awaiting--;
        if (_pending.Length < _pendingLength + response.Length) Array.Resize(ref _pending, Math.Max(2 * _pending.Length, _pendingLength + response.Length));
        response.CopyTo(_pending, _pendingLength);
        _pendingLength += response.Length;
    }

    /// <summary>Writes what is pending unless a write is outstanding; with answers still awaited, one mailbox turn later.</summary>
    private void Flush()
    {
        if (_writing || _closing || _pendingLength == 0) return;
        if (_awaiting > 0 && !_deferralExpired)
        {
            if (!_deferred) Self.Tell(Deferred.Instance);
            _deferred = true;
            return;
        }
        _deferred = _deferralExpired = false;
        (_pending, _inFlight) = (_inFlight, _pending);
        tcp.Tell(Tcp.Write.Create(ByteString.FromBytes(_inFlight, 0, _pendingLength), Ack.Instance));
        _pendingLength = 0;
        _writing = true;
        if (_closeRequested && _awaiting == 0)
        {
            _closing = true;
            tcp.Tell(Tcp.ConfirmedClose.Instance); // after the write: FIN, then the client's FIN
        }
    }
}
