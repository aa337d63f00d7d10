namespace ActorHttp.Protocol.WebSockets;

/// <summary>
/// Status codes of a WebSocket Close frame (RFC 6455 §7.4.1), and which of them may appear on the wire.
/// </summary>
public static class WebSocketCloseCodes
{
    /// <summary>1000: the purpose of the connection has been fulfilled.</summary>
    public const int NormalClosure = 1000;

    /// <summary>1001: the endpoint is going away (server shutting down, browser leaving the page).</summary>
    public const int GoingAway = 1001;

    /// <summary>1002: the peer broke the protocol.</summary>
    public const int ProtocolError = 1002;

    /// <summary>1003: the endpoint cannot accept this kind of data (e.g. binary when it only understands text).</summary>
    public const int UnsupportedData = 1003;

    /// <summary>1007: a message's data is not consistent with its type (text that is not valid UTF-8).</summary>
    public const int InvalidPayloadData = 1007;

    /// <summary>1008: a message violates the endpoint's policy (generic, when no other code fits).</summary>
    public const int PolicyViolation = 1008;

    /// <summary>1009: a message is too big to process.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>1011: the server met an unexpected condition that kept it from fulfilling the request.</summary>
    public const int InternalError = 1011;

    /// <summary>
    /// True for a code an endpoint may send in a Close frame: 1000–1003, 1007–1011 and the 3000–4999 ranges for
    /// libraries, frameworks and applications, plus 1012–1014 (Service Restart, Try Again Later, Bad Gateway), registered
    /// with IANA after RFC 6455 and sent by browsers and proxies. 1004 is reserved; 1005, 1006 and 1015 are only ever
    /// reported locally, never sent; the rest below 3000 is unassigned.
    /// </summary>
    public static bool IsValid(int code) => code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;
}
