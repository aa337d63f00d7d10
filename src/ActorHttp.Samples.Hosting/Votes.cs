using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using Microsoft.Extensions.Logging;

namespace ActorHttp.Samples.Hosting;

/// <summary>Asks a vote entity for its count, from the application's own code (answered with <see cref="VoteCount"/>).</summary>
public sealed class GetVotes
{
    /// <summary>The message.</summary>
    public static readonly GetVotes Instance = new();

    private GetVotes() { }
}

/// <summary>The answer to <see cref="GetVotes"/>, and the body of <c>/votes/{id}</c>.</summary>
public sealed record VoteCount(string Id, int Votes);

/// <summary>
/// The sharded entity behind <c>/votes/{id}</c>: one actor per id somewhere in the cluster. <c>POST</c> adds a vote,
/// <c>GET</c> reads the count; the application asks it too (<see cref="GetVotes"/>) through the same shard region,
/// which <c>MapSharded&lt;VoteEntity&gt;</c> registered under this type. In memory: a real entity would persist its count.
/// </summary>
public sealed class VoteEntity(ILogger<VoteEntity> logger) : HttpHandlerActor
{
    private int _votes;

    private string Id => Uri.UnescapeDataString(Context.Parent.Path.Name);

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        if (request.Method == HttpMethods.Post)
        {
            _votes++;
            logger.LogDebug("vote for {Id}: {Votes}", Id, _votes);
        }
        Respond(HttpResponse.Json(new VoteCount(Id, _votes), SampleJson.Default.VoteCount));
    }

    /// <inheritdoc />
    protected override void OnOtherMessage(object message)
    {
        if (message is GetVotes) Sender.Tell(new VoteCount(Id, _votes));
        else Unhandled(message);
    }
}

/// <summary>
/// <c>GET /votes/{id}/summary</c>: an ordinary handler that reaches the sharded entities from code, with the shard
/// region injected as <c>IRequiredActor&lt;VoteEntity&gt;</c>.
/// </summary>
public sealed class VoteSummaryHandler(IRequiredActor<VoteEntity> votes) : AsyncHttpHandlerActor
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
    {
        var id = request.RouteValues["id"];
        var region = await votes.GetAsync();
        var count = await region.Ask<VoteCount>(new ShardingEnvelope(id, GetVotes.Instance), Timeout);
        return HttpResponse.Text($"{count.Id} has {count.Votes} vote{(count.Votes == 1 ? "" : "s")}");
    }
}
