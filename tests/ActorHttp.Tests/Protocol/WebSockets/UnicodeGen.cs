using CsCheck;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>Generators of Unicode text for the UTF-8 and WebSocket properties.</summary>
internal static class UnicodeGen
{
    /// <summary>Text of random code points from every UTF-8 length class (1 to 4 bytes), surrogates excluded.</summary>
    public static Gen<string> Text(int min, int max) =>
        Gen.Frequency(
                (4, Gen.Int[0x20, 0x7E]), (1, Gen.Int[0x00, 0x1F]), (2, Gen.Int[0x80, 0x7FF]),
                (2, Gen.Int[0x800, 0xD7FF]), (1, Gen.Int[0xE000, 0xFFFF]), (3, Gen.Int[0x10000, 0x10FFFF]))
            .Array[min, max]
            .Select(codePoints => string.Concat(codePoints.Select(char.ConvertFromUtf32)));
}
