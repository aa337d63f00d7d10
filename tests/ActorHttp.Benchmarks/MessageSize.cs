using System.Runtime.CompilerServices;
using ActorHttp.Protocol;

namespace ActorHttp.Benchmarks;

/// <summary>
/// What "the request message itself" weighs, so the parser's Allocated column can be read against it: the
/// HttpRequest, its HttpHeaders and the header field array (one 16-byte entry per field), each measured by
/// allocating one on this thread; and the connection loop's (<see cref="ConnectionLoopBenchmarks"/>) per-request floor.
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
        var oneField = Measure(() => Array.CreateInstance(fieldType, 1));
        var slot = Measure(() => RuntimeHelpers.GetUninitializedObject(typeof(ActorHttp.Server.ResponseSlot)));
        Console.WriteLine($"Connection loop (wrk's plaintext request, one header field): request {request + headers + oneField} B + " +
                          $"ResponseSlot {slot} B (the handler's Sender) = {request + headers + oneField + slot} B per request.");
    }

    private static long Measure(Func<object> allocate)
    {
        allocate(); // JIT and type loading first
        var before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(allocate());
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
