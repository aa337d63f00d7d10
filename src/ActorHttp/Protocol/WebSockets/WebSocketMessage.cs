using Akka.IO;

namespace ActorHttp.Protocol.WebSockets;

/// <summary>
/// A whole WebSocket data message, reassembled from its frames: <see cref="Text"/> or <see cref="Binary"/>. Immutable.
/// </summary>
public abstract record WebSocketMessage
{
    // Closed hierarchy: the two message kinds RFC 6455 defines.
    private WebSocketMessage() { }

    /// <summary>A text message; its UTF-8 was validated on receipt.</summary>
    /// <param name="Value">The text.</param>
    public sealed record Text(string Value) : WebSocketMessage
    {
        /// <summary>The text (for logs, shortened past 64 characters).</summary>
        public override string ToString() => $"Text({(Value.Length <= 64 ? Value : Value[..64] + "…")})";
    }

    /// <summary>A binary message.</summary>
    /// <param name="Data">The bytes; never written again once the message exists.</param>
    public sealed record Binary(ByteString Data) : WebSocketMessage
    {
        /// <summary>A binary message holding <paramref name="bytes"/> (referenced, not copied: do not write them again).</summary>
        public Binary(byte[] bytes) : this(ByteString.FromBytes(bytes)) { }

        /// <summary>Its length (the bytes are not printed).</summary>
        public override string ToString() => $"Binary({Data.Count} bytes)";
    }
}
