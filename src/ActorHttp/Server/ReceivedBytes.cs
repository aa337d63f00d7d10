using System.Runtime.CompilerServices;
using Akka.IO;

namespace ActorHttp.Server;

/// <summary>
/// Borrows the array behind a received <see cref="ByteString"/>. Akka.IO copies every read out of its pooled buffer into
/// a fresh array that nothing else writes, so the connection can parse that array in place instead of copying it once
/// more. ByteString does not expose its array; the accessor reads its private field, and if a later Akka version renames
/// it the connection simply falls back to copying.
/// </summary>
internal static class ReceivedBytes
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_buffers")]
    private static extern ref ArraySegment<byte>[] Buffers(ByteString bytes);

    private static bool _unavailable;

    /// <summary>The one segment holding all of <paramref name="bytes"/>, when it is held in one.</summary>
    public static bool TryGetSegment(ByteString bytes, out ArraySegment<byte> segment)
    {
        segment = default;
        if (_unavailable) return false;
        try
        {
            if (Buffers(bytes) is not [var only] || only.Array == null || only.Count != bytes.Count) return false;
            segment = only;
            return true;
        }
        catch (MissingFieldException)
        {
            _unavailable = true;
            return false;
        }
    }
}
