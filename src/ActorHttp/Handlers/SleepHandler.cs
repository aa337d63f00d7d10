using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Demo of a blocking handler: blocks its thread (<c>Thread.Sleep</c>) for <c>?ms=</c> milliseconds (default and
/// maximum set per route), then answers. Run it on the blocking dispatcher.
/// </summary>
public sealed class SleepHandler(TimeSpan defaultDelay, TimeSpan maxDelay) : HttpHandlerActor
{
    public static Props Props(TimeSpan defaultDelay, TimeSpan maxDelay) =>
        Akka.Actor.Props.Create(() => new SleepHandler(defaultDelay, maxDelay));

    protected override void OnRequest(HttpRequest request)
    {
        var delay = defaultDelay;
        foreach (var pair in request.Query.Split('&'))
            if (pair.StartsWith("ms=", StringComparison.Ordinal) && int.TryParse(pair.AsSpan(3), out var ms) && ms >= 0)
                delay = TimeSpan.FromMilliseconds(ms);
        if (delay > maxDelay) delay = maxDelay;
        Thread.Sleep(delay); // deliberately blocking: this is what the blocking dispatcher is for
        Respond(HttpResponse.Text($"slept {(int)delay.TotalMilliseconds} ms\n"));
    }
}
