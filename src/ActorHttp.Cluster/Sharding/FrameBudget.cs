using Akka.Configuration;
using ActorHttp.Server;

namespace ActorHttp.Cluster.Sharding;

/// <summary>
/// Whether a sharded route's largest message fits one remoting frame: Akka drops a larger message (with an error in
/// the log), so its request would only ever time out.
/// </summary>
internal static class FrameBudget
{
    public const string FrameSizeKey = "akka.remote.dot-netty.tcp.maximum-frame-size";
    private const long AkkaDefaultFrameSize = 128000; // Akka.Remote's reference.conf

    /// <summary>The frame size <paramref name="config"/> sets, or Akka's default.</summary>
    public static long FrameSize(Config config) =>
        config.HasPath(FrameSizeKey) ? config.GetByteSize(FrameSizeKey) ?? AkkaDefaultFrameSize : AkkaDefaultFrameSize;

    /// <summary>Why <paramref name="entity"/>'s messages may not fit <paramref name="frameSize"/>, or null when they do.</summary>
    public static string? Problem(ShardedEntity entity, ServerSettings server, long frameSize)
    {
        // Room for the request line, the headers and the envelope next to the largest body.
        var largest = entity.MaxBodySize + server.Parsing.MaxHeaderSectionSize + server.Parsing.MaxRequestLineLength + 4096;
        return largest <= frameSize ? null
            : $"max-body-size ({entity.MaxBodySize} bytes) plus headers ({largest} bytes in all) does not fit {FrameSizeKey} " +
              $"({frameSize} bytes): lower the first or raise the second";
    }
}
