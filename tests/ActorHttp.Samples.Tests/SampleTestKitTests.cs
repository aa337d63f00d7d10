using System.Diagnostics;
using System.Net;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using ActorHttp.Hosting;
using ActorHttp.Samples.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using Xunit;

namespace ActorHttp.Samples.Tests;

/// <summary>
/// The hosted sample started by Akka.Hosting.TestKit: the test kit builds the host, and the sample's own
/// <see cref="SampleHost.AddServices"/> and <see cref="SampleHost.ConfigureActors"/> fill it (appsettings.json, the
/// server on a free port of 127.0.0.1). Each test gets a fresh host, stopped when it ends. OpenTelemetry's in-memory
/// exporter is added to the sample's tracing, so the spans a request makes can be inspected.
/// </summary>
public sealed class SampleTestKitTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("sample", output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<Activity> _spans = [];

    protected override void ConfigureAppConfiguration(HostBuilderContext context, IConfigurationBuilder builder) => builder
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ActorHttp:server:port"] = "0" });

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services)
    {
        SampleHost.AddServices(services, context.Configuration);
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans));
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        SampleHost.ConfigureActors(builder, provider.GetRequiredService<IConfiguration>());

    private async Task<HttpClient> ClientAsync()
    {
        var binding = await Host.Services.GetRequiredService<IActorHttpBinding>().GetAsync().WaitAsync(Timeout);
        Assert.Equal(IPAddress.Loopback, binding.LocalAddress.Address);
        return new HttpClient { BaseAddress = new Uri(binding.Url), Timeout = Timeout };
    }

    private Activity[] Spans()
    {
        lock (_spans) return [.. _spans];
    }

    [Fact]
    public async Task A_request_to_a_handler_from_services_is_answered_and_traced()
    {
        using var client = await ClientAsync();
        Assert.Equal("Hello, ada! (visit 1)", await client.GetStringAsync("/greetings/ada", TestContext.Current.CancellationToken));
        Assert.Equal(1, Host.Services.GetRequiredService<IGreetingStore>().Visits("ada"));

        // The server span ends when the response is rendered, before its bytes reach the client.
        var span = Assert.Single(Spans(), s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("url.path") == "/greetings/ada");
        Assert.Equal("/greetings/{name}", span.GetTagItem("http.route"));
        Assert.Equal("GET", span.GetTagItem("http.request.method"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public async Task A_sharded_request_continues_the_caller_s_trace_in_its_entity()
    {
        using var client = await ClientAsync();
        var traceId = ActivityTraceId.CreateRandom();
        var parentId = ActivitySpanId.CreateRandom();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/votes/tabs");
        post.Headers.Add("traceparent", $"00-{traceId}-{parentId}-01");
        using var response = await client.SendAsync(post, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"id\":\"tabs\",\"votes\":1}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var spans = Spans().Where(s => s.TraceId == traceId).ToArray();
        var server = Assert.Single(spans, s => (string?)s.GetTagItem("http.route") == "/votes/{id}");
        Assert.Equal(parentId, server.ParentSpanId);
        var entity = Assert.Single(spans, s => s.DisplayName == "entity votes");
        Assert.Equal(server.SpanId, entity.ParentSpanId);
    }

    [Fact]
    public async Task The_application_and_the_route_reach_the_same_entity_through_the_registry()
    {
        using var client = await ClientAsync();
        await client.PostAsync("/votes/lunch", null, TestContext.Current.CancellationToken);
        await client.PostAsync("/votes/lunch", null, TestContext.Current.CancellationToken);

        // The region MapSharded<VoteEntity> registered, asked the test kit's way.
        var region = await ActorRegistry.GetAsync<VoteEntity>(TestContext.Current.CancellationToken);
        region.Tell(new ShardingEnvelope("lunch", GetVotes.Instance), TestActor);
        Assert.Equal(new VoteCount("lunch", 2), await ExpectMsgAsync<VoteCount>(Timeout, cancellationToken: TestContext.Current.CancellationToken));
    }
}
