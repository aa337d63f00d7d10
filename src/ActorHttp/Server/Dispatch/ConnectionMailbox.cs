using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ActorHttp.Server.Dispatch;

/// <summary>
/// The connection actors' mailbox (<c>actor-http.connection-mailbox</c>): Akka's default queue starts every actor with a
/// <see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/> segment of 32 slots, about 1.1 KB, which each of
/// thousands of idle keep-alive connections keeps for its lifetime; a connection rarely has more than a few messages
/// waiting. This one starts at four slots and grows (and shrinks back once empty) with what arrives. A lock guards it:
/// the producers are few (the transport, the handlers' replies, the timer) and rarely at once.
/// </summary>
public sealed class ConnectionMailbox : MailboxType, IProducesMessageQueue<ConnectionMailbox.Queue>
{
    /// <summary>Where reference.conf configures it (the system needs ActorHttp's reference config: <see cref="HttpServer"/> injects it).</summary>
    public const string ConfigPath = "actor-http.connection-mailbox";

    /// <summary>Called by Akka with the mailbox's config.</summary>
    public ConnectionMailbox(Settings settings, Config config) : base(settings, config) { }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new Queue();

    /// <summary>A growable ring of envelopes under a lock.</summary>
    public sealed class Queue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private const int InitialCapacity = 4, ShrinkAbove = 64;
        private Envelope[] _ring = new Envelope[InitialCapacity];
        private int _head, _count;

        /// <inheritdoc />
        public bool HasMessages => Volatile.Read(ref _count) > 0;

        /// <inheritdoc />
        public int Count => Volatile.Read(ref _count);

        /// <inheritdoc />
        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (this)
            {
                if (_count == _ring.Length) Grow();
                _ring[(_head + _count) & (_ring.Length - 1)] = envelope;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        /// <inheritdoc />
        public bool TryDequeue(out Envelope envelope)
        {
            lock (this)
            {
                if (_count == 0)
                {
                    envelope = default;
                    return false;
                }
                envelope = _ring[_head];
                _ring[_head] = default;
                _head = (_head + 1) & (_ring.Length - 1);
                Volatile.Write(ref _count, _count - 1);
                if (_count == 0 && _ring.Length > ShrinkAbove) (_ring, _head) = (new Envelope[InitialCapacity], 0); // a burst is over
                return true;
            }
        }

        /// <inheritdoc />
        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
        }

        private void Grow()
        {
            var grown = new Envelope[_ring.Length * 2]; // a power of two: positions wrap with a mask
            for (var i = 0; i < _count; i++) grown[i] = _ring[(_head + i) & (_ring.Length - 1)];
            (_ring, _head) = (grown, 0);
        }
    }
}
