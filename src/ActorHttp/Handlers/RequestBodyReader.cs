using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Handlers;

/// <summary>
/// Reads a streamed request body (<see cref="HttpRequest.BodyStreamed"/>) from outside the actor's message loop:
/// each piece is pulled with <see cref="RequestBodyStream.Read"/> from the request's sender, so the connection reads
/// the socket only as fast as the enumeration goes.
/// </summary>
public static class RequestBodyReader
{
    /// <summary>The parts of the body of the request whose sender is <paramref name="requestSender"/>.</summary>
    /// <param name="requestSender">The <c>Sender</c> the request came from.</param>
    /// <param name="timeout">How long to wait for each part.</param>
    /// <exception cref="IOException">The body could not be completed (the client has already been answered).</exception>
    public static async IAsyncEnumerable<ByteString> ReadAsync(IActorRef requestSender, TimeSpan? timeout = null)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(60);
        while (true)
        {
            var reply = await requestSender.Ask<object>(RequestBodyStream.Read.Instance, wait).ConfigureAwait(false);
            switch (reply)
            {
                case RequestBodyStream.Part part:
                    yield return part.Bytes;
                    break;
                case RequestBodyStream.Completed:
                    yield break;
                case RequestBodyStream.Failed failed:
                    throw new IOException($"request body failed: {failed.Reason} ({failed.Status})");
                default:
                    throw new IOException($"unexpected reply to Read: {reply.GetType().Name}");
            }
        }
    }

    /// <summary>Reads the whole streamed body into one array; more than <paramref name="maxBytes"/> is an error.</summary>
    /// <exception cref="IOException">The body failed, or is larger than <paramref name="maxBytes"/>.</exception>
    public static async Task<ByteString> ReadAllAsync(IActorRef requestSender, long maxBytes, TimeSpan? timeout = null)
    {
        var parts = new List<ByteString>();
        long total = 0;
        await foreach (var part in ReadAsync(requestSender, timeout).ConfigureAwait(false))
        {
            total += part.Count;
            if (total > maxBytes) throw new IOException($"request body larger than {maxBytes} bytes");
            parts.Add(part);
        }
        var all = new byte[total];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, offset, part.Count);
            offset += part.Count;
        }
        return ByteString.FromBytes(all);
    }
}
