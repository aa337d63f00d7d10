using Akka.Actor;
using Akka.Routing;

namespace ActorHttp.Handlers;

/// <summary>
/// The handler kinds a route can use, all built from the handler's own Props:
/// <list type="bullet">
/// <item>long-lived (the Props as they are): one actor serves every request of the route, e.g. a cache;</item>
/// <item><see cref="PerRequest"/>: a new actor per request, stopped after it answered;</item>
/// <item><see cref="Pool"/>: a round-robin pool of actors, for CPU-bound work;</item>
/// <item><see cref="Blocking"/>: on <see cref="BlockingDispatcher"/>, a dedicated thread pool, for handlers that block.</item>
/// </list>
/// </summary>
public static class HandlerProps
{
    /// <summary>The dispatcher reference.conf ships for blocking handlers (file, database, Thread.Sleep).</summary>
    public const string BlockingDispatcher = "actor-http.blocking-dispatcher";

    /// <summary>A fresh actor from <paramref name="handler"/> for each request.</summary>
    public static Props PerRequest(Props handler) => Props.Create(() => new PerRequestHandler(handler));

    /// <summary><paramref name="instances"/> actors from <paramref name="handler"/>, requests spread round-robin.</summary>
    public static Props Pool(Props handler, int instances) =>
        instances >= 1 ? handler.WithRouter(new RoundRobinPool(instances)) : throw new ArgumentOutOfRangeException(nameof(instances), "a pool needs at least one instance");

    /// <summary><paramref name="handler"/> on the blocking dispatcher, so blocking never stalls connections or other routes.</summary>
    public static Props Blocking(Props handler) => handler.WithDispatcher(BlockingDispatcher);
}
