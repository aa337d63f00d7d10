using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.Connection;

namespace ActorHttp.Server.WebSockets;

/// <summary>
/// A WebSocket message streamed to its handler (see <see cref="WebSocketMessageStream"/>), between the frame parser and
/// the actor that pulls it: the parts parsed and not yet read, the Read waiting for them, and whether the socket may be
/// read on. At most one per socket: the client's next message is not parsed before this one's Completed is read.
/// </summary>
internal sealed class MessageStreamPump(IActorRef socket)
{
    /// <summary>Bytes of a message held for its reader before the socket stops being read: as for a streamed request body.</summary>
    internal const int Window = RequestBodyPump.Window;

    private enum State : byte { None, Streaming, Complete, Failed }

    private static readonly WebSocketMessageStream.Failed NothingStreamed =
        new(WebSocketCloseCodes.InternalError, "no message is being streamed");

    private readonly Queue<ByteString> _parts = new();
    private State _state;
    private int _buffered;
    private IActorRef _reader = ActorRefs.Nobody; // who hears how the message ends: the last to Read, the handler before
    private bool _readWaiting;
    private WebSocketMessageStream.Failed? _failure;

    /// <summary>
    /// The socket must not be read: the reader has a full window unread, or has not yet read the end of a message that
    /// is all parsed (what follows must wait for its Completed, or it would overtake the message's parts).
    /// </summary>
    public bool HoldsReading => _state switch
    {
        State.Streaming => _buffered >= Window,
        State.Complete => true,
        _ => false,
    };

    /// <summary>
    /// The message is all parsed but its reader has not read Completed: nothing after it may be parsed yet.
    /// </summary>
    public bool AwaitsLastRead => _state == State.Complete;

    /// <summary>A message begins: <paramref name="handler"/> was told Started and will pull it.</summary>
    public void Start(IActorRef handler)
    {
        (_state, _reader, _readWaiting, _failure) = (State.Streaming, handler, false, null);
    }

    /// <summary>The message's next bytes from the parser (<paramref name="last"/> when it ends with them); dropped after a failure.</summary>
    public void OnPart(ByteString part, bool last)
    {
        if (_state != State.Streaming) return;
        if (!part.IsEmpty)
        {
            _parts.Enqueue(part);
            _buffered += part.Count;
        }
        if (last) _state = State.Complete;
        Deliver();
    }

    /// <summary>A Read from <paramref name="reader"/>: answered now if something is there, else as soon as something is.</summary>
    public void OnRead(IActorRef reader)
    {
        switch (_state)
        {
            case State.None:
                reader.Tell(NothingStreamed, socket);
                return;
            case State.Failed:
                reader.Tell(_failure, socket);
                return;
        }
        (_reader, _readWaiting) = (reader, true);
        Deliver();
    }

    /// <summary>
    /// The socket closes with <paramref name="code"/> before the message was read to its end: the reader is told at once
    /// (it may be waiting for a Read's answer that would never come), and the parts it did not read are dropped.
    /// </summary>
    public void Fail(int code, string reason)
    {
        if (_state is not (State.Streaming or State.Complete)) return;
        _failure = new WebSocketMessageStream.Failed(code, reason);
        (_state, _readWaiting, _buffered) = (State.Failed, false, 0);
        _parts.Clear();
        _reader.Tell(_failure, socket);
    }

    /// <summary>Answers a waiting Read with what was received since the last (one contiguous part), or with Completed.</summary>
    private void Deliver()
    {
        if (!_readWaiting) return;
        if (_parts.Count > 0)
        {
            _reader.Tell(new WebSocketMessageStream.Part(TakeParts()), socket);
            _readWaiting = false;
        }
        else if (_state == State.Complete)
        {
            _reader.Tell(WebSocketMessageStream.Completed.Instance, socket);
            (_state, _readWaiting) = (State.None, false);
        }
    }

    /// <summary>
    /// The parts held, joined up to a window (a part per read, 4 KB by default, would make a fast client's message
    /// thousands of Reads): a reader that keeps up gets what arrived meanwhile, one that lags a window's worth, and a
    /// part stays small enough for a message to a handler on another node. One read larger than a window goes alone.
    /// </summary>
    private ByteString TakeParts()
    {
        var (count, length) = (1, _parts.Peek().Count);
        foreach (var part in _parts.Skip(1))
        {
            if (length + part.Count > Window) break;
            (count, length) = (count + 1, length + part.Count);
        }
        _buffered -= length;
        if (count == 1) return _parts.Dequeue();
        var bytes = GC.AllocateUninitializedArray<byte>(length);
        for (var at = 0; at < length;)
        {
            var part = _parts.Dequeue();
            part.ToReadOnlySpan().CopyTo(bytes.AsSpan(at));
            at += part.Count;
        }
        return ByteString.FromBytes(bytes);
    }
}
