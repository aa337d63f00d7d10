using System.Collections.Concurrent;
using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using Microsoft.Extensions.Logging;

namespace ActorHttp.Samples.Hosting;

/// <summary>A service of the application: counts the greetings per name (in memory; a repository in a real one).</summary>
public interface IGreetingStore
{
    /// <summary>Counts one more greeting of <paramref name="name"/> and returns how many there have been.</summary>
    int Greet(string name);

    /// <summary>How many greetings <paramref name="name"/> has had.</summary>
    int Visits(string name);

    /// <summary>Greetings of every name.</summary>
    int Total { get; }
}

/// <summary>The in-memory <see cref="IGreetingStore"/>; thread-safe (handlers run on many threads).</summary>
public sealed class GreetingStore : IGreetingStore
{
    private readonly ConcurrentDictionary<string, int> _visits = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public int Greet(string name) => _visits.AddOrUpdate(name, 1, (_, n) => n + 1);

    /// <inheritdoc />
    public int Visits(string name) => _visits.GetValueOrDefault(name);

    /// <inheritdoc />
    public int Total => _visits.Values.Sum();
}

/// <summary><c>GET /greetings/{name}</c>: a handler whose constructor takes services from the host's container.</summary>
public sealed class GreetingHandler(IGreetingStore store, ILogger<GreetingHandler> logger) : HttpHandlerActor
{
    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        var name = request.RouteValues["name"];
        var visits = store.Greet(name);
        logger.LogInformation("greeted {Name} ({Visits} visits)", name, visits);
        Respond(HttpResponse.Text($"Hello, {name}! (visit {visits})"));
    }
}

/// <summary>
/// <c>GET /stats</c>, a route of appsettings.json that names this type: created from the services too.
/// </summary>
public sealed class StatsHandler(IGreetingStore store) : HttpHandlerActor
{
    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Json(new GreetingStats(store.Total), SampleJson.Default.GreetingStats));
}
