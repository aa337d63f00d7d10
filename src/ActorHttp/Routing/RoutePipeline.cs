using Akka.Actor;
using ActorHttp.Protocol;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using ActorHttp.Server;

namespace ActorHttp.Routing;

/// <summary>One materialized filter of a route: a plain one, run in place, or an actor the request is sent to.</summary>
internal readonly record struct FilterStage(string Name, IRequestFilter? Filter, IActorRef? Actor);

/// <summary>
/// What stands between a route and its handler when the route has filters or a CORS policy (routes without either never
/// meet it: the route table dispatches them straight to their handler). Plain filters run on the connection, in
/// <see cref="RouteTable.Route"/>. At an actor filter the route decision sends the request to a stand-in for the rest of
/// the chain (<see cref="Entry"/>), which the connection tells with its own reply slot as the sender, as it would the
/// handler; the filter's reply comes back through a <see cref="Continuation"/> that runs what follows and finally tells
/// the handler, still with the connection's slot as the sender. So the handler answers the connection directly, and the
/// request's response timeout, which started when the connection dispatched it, covers filters and handler together.
/// CORS headers are added to the answer on its way out by a <see cref="Decorator"/> standing in for that slot.
/// </summary>
internal sealed class RoutePipeline
{
    private readonly IActorRef _handler;
    private readonly FilterStage[] _stages;
    private readonly string _route;

    public RoutePipeline(IActorRef handler, FilterStage[] stages, CorsRules? cors, string route)
    {
        _handler = handler;
        _stages = stages;
        Cors = cors;
        _route = route;
    }

    /// <summary>The route's CORS policy, or null.</summary>
    public CorsRules? Cors { get; }

    /// <summary>Routes a request that matched this route (preflights are answered before, by the route table).</summary>
    /// <exception cref="RequestFilterException">A plain filter threw: the connection logs it and answers 500.</exception>
    public RouteDecision Decide(HttpRequest request, bool webSocket)
    {
        var cors = Cors?.ForResponse(request);
        var index = 0;
        if (RunPlain(ref request, ref index) is { } response) return RouteDecision.Respond(Decorate(response, cors), _route);
        if (index == _stages.Length)
        {
            if (RouteTable.IsTerminated(_handler)) return RouteDecision.Respond(RouteTable.HandlerGone, _route);
            if (cors == null) return RouteDecision.Dispatch(_handler, request, _route, webSocket);
        }
        return RouteDecision.Dispatch(new Entry(this, index, cors), request, _route, webSocket);
    }

    /// <summary>
    /// Runs the plain filters from <paramref name="index"/> on; returns a filter's answer, or null with
    /// <paramref name="index"/> at the next actor filter (or past the last filter).
    /// </summary>
    private HttpResponse? RunPlain(ref HttpRequest request, ref int index)
    {
        for (; index < _stages.Length; index++)
        {
            var stage = _stages[index];
            if (stage.Actor != null) return null;
            FilterResult result;
            try
            {
                result = stage.Filter!.Filter(request);
            }
            catch (Exception e)
            {
                throw new RequestFilterException(stage.Name, _route, $"failed: {e.Message}", e);
            }
            if (result.Response is { } response) return response;
            request = result.Request ?? throw new RequestFilterException(stage.Name, _route, "returned default instead of Continue or Respond");
        }
        return null;
    }

    /// <summary>
    /// Goes on from stage <paramref name="index"/> for the connection's <paramref name="client"/> slot: the plain filters,
    /// then an actor filter (its reply comes back to a <see cref="Continuation"/>) or the handler. Runs on the thread of
    /// whoever told the stand-in: the connection, or the actor filter that replied.
    /// </summary>
    private void Continue(HttpRequest request, int index, IActorRef client, IReadOnlyList<HttpHeader>? cors)
    {
        HttpResponse? response;
        try
        {
            response = RunPlain(ref request, ref index);
        }
        catch (RequestFilterException e)
        {
            client.Tell(new Status.Failure(e), ActorRefs.NoSender); // the connection logs it and answers 500
            return;
        }
        if (response != null) client.Tell(Decorate(response, cors), ActorRefs.NoSender);
        else if (index < _stages.Length && RouteTable.IsTerminated(_stages[index].Actor!))
            client.Tell(HttpResponse.Error(StatusCodes.InternalServerError, $"the route's filter '{_stages[index].Name}' has stopped"), ActorRefs.NoSender);
        else if (index < _stages.Length) _stages[index].Actor!.Tell(request, new Continuation(this, index, client, cors));
        else if (RouteTable.IsTerminated(_handler)) client.Tell(RouteTable.HandlerGone, ActorRefs.NoSender);
        else _handler.Tell(request, cors == null ? client : new Decorator(this, client, cors));
    }

    /// <summary>The provider of the stand-ins' refs: the handler's (asked only when one is, e.g. for its path).</summary>
    private IActorRefProvider Provider => ((IInternalActorRef)_handler).Provider;

    private static HttpResponse Decorate(HttpResponse response, IReadOnlyList<HttpHeader>? cors) =>
        cors == null ? response : CorsRules.Decorate(response, cors);

    /// <summary>A reply slot of this pipeline's: a ref told by one party, passing on to <see cref="Client"/>.</summary>
    private abstract class Relay(RoutePipeline pipeline, IActorRef client) : MinimalActorRef
    {
        private ActorPath? _path;
        protected readonly RoutePipeline Pipeline = pipeline;
        protected readonly IActorRef Client = client;
        public override IActorRefProvider Provider => Pipeline.Provider;
        public override ActorPath Path => _path ??= Client.Path / "filters";
    }

    /// <summary>
    /// The route decision's handler when the request must go through an actor filter or come back with CORS headers: the
    /// connection tells it the request, with its reply slot as the sender.
    /// </summary>
    private sealed class Entry(RoutePipeline pipeline, int index, IReadOnlyList<HttpHeader>? cors) : MinimalActorRef
    {
        private ActorPath? _path;
        public override IActorRefProvider Provider => pipeline.Provider;
        public override ActorPath Path => _path ??= pipeline._handler.Path / "filters";

        protected override void TellInternal(object message, IActorRef sender)
        {
            if (message is HttpRequest request) pipeline.Continue(request, index, sender, cors);
            else pipeline._handler.Tell(message, sender);
        }
    }

    /// <summary>
    /// The sender an actor filter sees: its first reply decides (continue from the next stage, or answer the client);
    /// anything after it goes to the client as it is (the connection drops a second answer as it would a handler's).
    /// </summary>
    private sealed class Continuation(RoutePipeline pipeline, int index, IActorRef client, IReadOnlyList<HttpHeader>? cors)
        : Relay(pipeline, client)
    {
        private int _replied;

        protected override void TellInternal(object message, IActorRef sender)
        {
            if (Interlocked.Exchange(ref _replied, 1) != 0)
            {
                Client.Tell(message, sender);
                return;
            }
            switch (message)
            {
                case FilterResult { Response: { } response }:
                    Client.Tell(Decorate(response, cors), sender);
                    break;
                case FilterResult { Request: { } request }:
                    Pipeline.Continue(request, index + 1, Client, cors);
                    break;
                case HttpResponse response:
                    Client.Tell(Decorate(response, cors), sender);
                    break;
                case Status.Failure failure:
                    Client.Tell(new Status.Failure(new RequestFilterException(Pipeline._stages[index].Name, Pipeline._route, "failed", failure.Cause)), sender);
                    break;
                default:
                    Client.Tell(new Status.Failure(new RequestFilterException(Pipeline._stages[index].Name, Pipeline._route,
                        $"replied with {(message is FilterResult ? "default(FilterResult)" : message.GetType().Name)} instead of a FilterResult")), sender);
                    break;
            }
        }
    }

    /// <summary>The sender the handler sees on a CORS route: its response gets the CORS headers on the way to the client.</summary>
    private sealed class Decorator(RoutePipeline pipeline, IActorRef client, IReadOnlyList<HttpHeader> cors) : Relay(pipeline, client)
    {
        protected override void TellInternal(object message, IActorRef sender) =>
            Client.Tell(message is HttpResponse response ? CorsRules.Decorate(response, cors) : message, sender);
    }
}
