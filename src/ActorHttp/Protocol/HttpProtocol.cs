namespace ActorHttp.Protocol;

/// <summary>The HTTP/1.x protocol version of a request.</summary>
public enum HttpProtocol : byte
{
    /// <summary>HTTP/1.0: connections close after each exchange unless the client asks for keep-alive.</summary>
    Http10 = 0,
    /// <summary>HTTP/1.1: connections persist unless either side says <c>Connection: close</c>.</summary>
    Http11 = 1,
}
