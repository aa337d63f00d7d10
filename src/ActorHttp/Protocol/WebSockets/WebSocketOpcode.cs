namespace ActorHttp.Protocol.WebSockets;

/// <summary>The frame opcodes RFC 6455 §5.2 defines; 3–7 and 0xB–0xF are reserved and refused.</summary>
internal enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}
