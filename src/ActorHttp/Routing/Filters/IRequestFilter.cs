using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Routing.Filters;

/// <summary>
/// A check that runs before a route's handler (<see cref="Routes.WithFilters(IRequestFilter[])"/>, or <c>filters</c> in
/// HOCON): it passes the request on, possibly with items added (<see cref="HttpRequest.WithItem"/>), or answers it itself
/// (401, 403, 429…). It runs on the connection actor for every request of its routes, from many connections at once, so
/// it must be cheap, non-blocking and thread-safe; a filter that must ask something (a service, an actor) is an actor
/// filter instead (<see cref="FilterDefinition.ForActor(string, Props)"/>). An exception answers that request 500 and is
/// logged; the connection goes on.
/// </summary>
public interface IRequestFilter
{
    /// <summary>Checks <paramref name="request"/>: <see cref="FilterResult.Continue"/> or <see cref="FilterResult.Respond"/>.</summary>
    FilterResult Filter(HttpRequest request);
}

/// <summary>
/// What a filter decided: go on with <see cref="Request"/> (the next filter or the handler gets it), or answer
/// <see cref="Response"/>. Also the reply of an actor filter to the request it was sent.
/// </summary>
public readonly record struct FilterResult
{
    private FilterResult(HttpRequest? request, HttpResponse? response) => (Request, Response) = (request, response);

    /// <summary>The request to go on with; null when the filter answered.</summary>
    public HttpRequest? Request { get; }

    /// <summary>The filter's answer to the client; null when the request goes on.</summary>
    public HttpResponse? Response { get; }

    /// <summary>Go on with <paramref name="request"/> (the one received, or a copy with items added).</summary>
    public static FilterResult Continue(HttpRequest request) => new(request ?? throw new ArgumentNullException(nameof(request)), null);

    /// <summary>Answer the client with <paramref name="response"/>; the handler never sees the request.</summary>
    public static FilterResult Respond(HttpResponse response) => new(null, response ?? throw new ArgumentNullException(nameof(response)));
}

/// <summary>What a filter factory gets when the routes are materialized: the actor system and the binding's clock.</summary>
/// <param name="System">The actor system serving the routes.</param>
/// <param name="Clock">The binding's <see cref="Server.ServerSettings.Clock"/>: what time-dependent filters (a rate limit) must read.</param>
public sealed record FilterContext(ActorSystem System, TimeProvider Clock);

/// <summary>
/// A filter as routes name it, before they are bound: a plain <see cref="IRequestFilter"/>, a factory of one that needs
/// the binding (its clock), or an actor filter. An actor filter receives the <see cref="HttpRequest"/> and replies to its
/// Sender with a <see cref="FilterResult"/> (or an <see cref="HttpResponse"/>), now or later, itself or from an actor it
/// asked; <see cref="RequestFilterActor"/> is a base class for them. Meanwhile the request's response timeout runs, and
/// the handler, when it gets the request, replies to the connection as usual.
/// <para>
/// One definition is one filter per binding, however many routes name it (a rate limit's buckets are shared by them);
/// definitions are told apart by reference. Mutable state lives in the filter, never here.
/// </para>
/// </summary>
public sealed class FilterDefinition
{
    private FilterDefinition(string name, IRequestFilter? instance, Func<FilterContext, IRequestFilter>? factory, Props? props, IActorRef? actor)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a filter needs a name (for logs and errors)", nameof(name));
        (Name, Instance, Factory, Props, Actor) = (name, instance, factory, props, actor);
    }

    /// <summary>A name for logs and errors (the HOCON key for configured filters).</summary>
    public string Name { get; }

    internal IRequestFilter? Instance { get; }
    internal Func<FilterContext, IRequestFilter>? Factory { get; }
    internal Props? Props { get; }
    internal IActorRef? Actor { get; }

    /// <summary>True for an actor filter.</summary>
    public bool IsActor => Props != null || Actor != null;

    /// <summary>A plain filter; named after its type unless <paramref name="name"/> is given.</summary>
    public static FilterDefinition Of(IRequestFilter filter, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new(name ?? filter.GetType().Name, filter, null, null, null);
    }

    /// <summary>A plain filter made when the routes are materialized, e.g. with the binding's clock: <c>ctx => new RateLimitFilter(s, ctx.Clock)</c>.</summary>
    public static FilterDefinition Create(string name, Func<FilterContext, IRequestFilter> factory) =>
        new(name, null, factory ?? throw new ArgumentNullException(nameof(factory)), null, null);

    /// <summary>An actor filter created from <paramref name="props"/> beside the routes' handlers (and stopped with them).</summary>
    public static FilterDefinition ForActor(string name, Props props) =>
        new(name, null, null, props ?? throw new ArgumentNullException(nameof(props)), null);

    /// <summary>An existing actor as a filter.</summary>
    public static FilterDefinition ForActor(string name, IActorRef actor) =>
        new(name, null, null, null, actor ?? throw new ArgumentNullException(nameof(actor)));

    public override string ToString() => Name;
}

/// <summary>A filter threw, or broke the filter protocol: the request is answered 500 and this is logged.</summary>
public sealed class RequestFilterException(string filter, string route, string problem, Exception? inner = null)
    : Exception($"filter '{filter}' of route {route} {problem}", inner)
{
    /// <summary>The filter's name.</summary>
    public string Filter { get; } = filter;
}
