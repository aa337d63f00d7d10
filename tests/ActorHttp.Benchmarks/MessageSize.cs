using System.Runtime.CompilerServices;
using ActorHttp.Protocol;

namespace ActorHttp.Benchmarks;

/// <summary>
/// What "the request message itself" weighs, so the parser's Allocated column can be read against it: the
/// HttpRequest, its HttpHeaders and the header field array (one 16-byte entry per field), each measured by
/// allocating one on this thread.
/// </summary>
internal static class MessageSize
{
    public static void Print()
    {
        var request = Measure(() => RuntimeHelpers.GetUninitializedObject(typeof(HttpRequest)));
        var headers = Measure(() => RuntimeHelpers.GetUninitializedObject(typeof(HttpHeaders)));
        var fieldType = typeof(HttpHeaders).Assembly.GetType("ActorHttp.Protocol.HeaderField")
                        ?? throw new InvalidOperationException("ActorHttp.Protocol.HeaderField not found");
        var fields = Measure(() => Array.CreateInstance(fieldType, 8));
        Console.WriteLine($"Request message with 8 header fields: HttpRequest {request} B + HttpHeaders {headers} B + " +
                          $"HeaderField[8] {fields} B = {request + headers + fields} B; the parser allocates beyond it what its " +
                          "benchmarks' Allocated column shows above that figure.");
    }

    private static long Measure(Func<object> allocate)
    {
        allocate(); // JIT and type loading first
        var before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(allocate());
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
