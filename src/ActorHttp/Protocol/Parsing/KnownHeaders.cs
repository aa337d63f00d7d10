using System.Text;

namespace ActorHttp.Protocol.Parsing;

/// <summary>The header fields the parser acts on itself.</summary>
internal enum KnownHeader : byte { Other, Host, ContentLength, TransferEncoding, Connection, Expect }

/// <summary>Recognises known header names by length first, then one case-insensitive byte comparison.</summary>
internal static class KnownHeaders
{
    public static KnownHeader Identify(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when Ascii.EqualsIgnoreCase(name, "host"u8) => KnownHeader.Host,
        6 when Ascii.EqualsIgnoreCase(name, "expect"u8) => KnownHeader.Expect,
        10 when Ascii.EqualsIgnoreCase(name, "connection"u8) => KnownHeader.Connection,
        14 when Ascii.EqualsIgnoreCase(name, "content-length"u8) => KnownHeader.ContentLength,
        17 when Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8) => KnownHeader.TransferEncoding,
        _ => KnownHeader.Other,
    };

    /// <summary>
    /// Fields a trailer may not carry (RFC 9110 §6.5.1: framing, routing, request modifiers, content handling),
    /// beyond the known ones: accepting them would let a body smuggle in what the head did not say.
    /// </summary>
    public static bool IsForbiddenInTrailer(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Ascii.EqualsIgnoreCase(name, "te"u8),
        7 => Ascii.EqualsIgnoreCase(name, "trailer"u8) || Ascii.EqualsIgnoreCase(name, "upgrade"u8),
        10 => Ascii.EqualsIgnoreCase(name, "keep-alive"u8),
        12 => Ascii.EqualsIgnoreCase(name, "content-type"u8),
        13 => Ascii.EqualsIgnoreCase(name, "authorization"u8) || Ascii.EqualsIgnoreCase(name, "content-range"u8),
        16 => Ascii.EqualsIgnoreCase(name, "content-encoding"u8) || Ascii.EqualsIgnoreCase(name, "proxy-connection"u8),
        _ => false,
    };
}
