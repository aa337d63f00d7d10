using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using ActorHttp.Samples.Hosting;
using ActorHttp.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ActorHttp.Hosting.Tests;

/// <summary>
/// The sample application as it runs (<c>SampleHost.CreateBuilder</c>, a cluster of one), on a free port of 127.0.0.1
/// chosen by the server (<c>--ActorHttp:server:port=0</c>), started once for the class and stopped at its end.
/// </summary>
public sealed class SampleHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public IHost Host { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public LogCapture Logs { get; } = new();
    public ServerBinding Binding { get; private set; } = null!;
    public ActorSystem System => Host.Services.GetRequiredService<ActorSystem>();

    public async Task InitializeAsync()
    {
        var builder = SampleHost.CreateBuilder(["--ActorHttp:server:port=0"]);
        builder.Logging.ClearProviders().AddProvider(Logs);
        Host = builder.Build();
        await Host.StartAsync().WaitAsync(Timeout);
        Binding = await Host.Services.GetRequiredService<IActorHttpBinding>().GetAsync().WaitAsync(Timeout);
        Client = new HttpClient { BaseAddress = new Uri(Binding.Url), Timeout = Timeout };
    }

    /// <summary>Completes once this node is Up in its cluster of one.</summary>
    public Task MemberUpAsync()
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(System).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task.WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        using var stopping = new CancellationTokenSource(Timeout);
        await Host.StopAsync(stopping.Token);
        Host.Dispose();
    }
}

[Trait("Category", "Hosting")]
public sealed class SampleHostTests(SampleHostFixture sample) : IClassFixture<SampleHostFixture>
{
    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task A_handler_from_services_uses_the_container_s_singleton()
    {
        var name = UniqueName("ada");
        Assert.Equal($"Hello, {name}! (visit 1)", await sample.Client.GetStringAsync($"/greetings/{name}"));
        Assert.Equal($"Hello, {name}! (visit 2)", await sample.Client.GetStringAsync($"/greetings/{name}"));
        Assert.Equal(2, sample.Host.Services.GetRequiredService<IGreetingStore>().Visits(name));
    }

    [Fact]
    public async Task Routes_of_appsettings_are_served_and_a_type_they_name_gets_services()
    {
        var about = await sample.Client.GetAsync("/about");
        Assert.Equal(HttpStatusCode.OK, about.StatusCode);
        Assert.StartsWith("ActorHttp hosted sample", await about.Content.ReadAsStringAsync());

        await sample.Client.GetStringAsync($"/greetings/{UniqueName("stats")}");
        var total = sample.Host.Services.GetRequiredService<IGreetingStore>().Total; // the tests of a class run one at a time
        Assert.True(total >= 1);
        Assert.Equal($"{{\"greetings\":{total}}}", await sample.Client.GetStringAsync("/stats"));
    }

    [Fact]
    public async Task A_sharded_route_and_the_application_reach_the_same_entity()
    {
        var id = UniqueName("poll");
        Assert.Equal($"{{\"id\":\"{id}\",\"votes\":1}}", await (await sample.Client.PostAsync($"/votes/{id}", null)).Content.ReadAsStringAsync());
        Assert.Equal($"{{\"id\":\"{id}\",\"votes\":2}}", await (await sample.Client.PostAsync($"/votes/{id}", null)).Content.ReadAsStringAsync());
        Assert.Equal($"{{\"id\":\"{id}\",\"votes\":2}}", await sample.Client.GetStringAsync($"/votes/{id}"));

        // A handler that injects IRequiredActor<VoteEntity>, and the application's own code, ask the route's region.
        Assert.Equal($"{id} has 2 votes", await sample.Client.GetStringAsync($"/votes/{id}/summary"));
        var region = await sample.Host.Services.GetRequiredService<IRequiredActor<VoteEntity>>().GetAsync().WaitAsync(SampleHostFixture.Timeout);
        var count = await region.Ask<VoteCount>(new ShardingEnvelope(id, GetVotes.Instance), SampleHostFixture.Timeout);
        Assert.Equal(new VoteCount(id, 2), count);
    }

    [Fact]
    public async Task The_probes_report_ready_once_the_node_is_up_and_live()
    {
        await sample.MemberUpAsync();

        var ready = await sample.Client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("\"actor-http.ready\":{\"status\":\"Healthy\"", body);
        Assert.Contains($"serving {sample.Binding.Url}", body);

        var live = await sample.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains("\"akka.actorsystem\":{\"status\":\"Healthy\"", await live.Content.ReadAsStringAsync());
        Assert.Equal("{\"status\":\"ok\"}", await sample.Client.GetStringAsync("/health"));

        // The same checks, as the host's IHealthChecks.
        var report = await sample.Host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Tags.Contains(ActorHttpHealth.ReadyTag) || r.Tags.Contains(ActorHttpHealth.LiveTag));
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Contains(ActorHttpHealth.ReadinessCheckName, report.Entries.Keys);
    }

    [Fact]
    public async Task The_binding_is_injectable_and_its_listener_is_in_the_registry()
    {
        var injected = sample.Host.Services.GetRequiredService<IActorHttpBinding>();
        Assert.Same(sample.Binding, injected.Current);
        Assert.Same(injected, ActorHttpBinding.For(sample.System));
        Assert.NotEqual(0, sample.Binding.LocalAddress.Port);
        Assert.Equal(IPAddress.Loopback, sample.Binding.LocalAddress.Address);

        var listener = await sample.Host.Services.GetRequiredService<IRequiredActor<ServerBinding>>().GetAsync().WaitAsync(SampleHostFixture.Timeout);
        Assert.NotEqual(ActorRefs.Nobody, listener);
        await sample.Client.GetStringAsync("/about");
        Assert.True((await sample.Binding.GetConnectionCountsAsync()).Open >= 1);
    }

    [Fact]
    public async Task ActorHttp_and_handler_log_events_reach_Microsoft_Extensions_Logging()
    {
        await sample.Logs.WaitForAsync(m => m.Contains($"ActorHttp listening on {sample.Binding.Url}"), SampleHostFixture.Timeout);
        var name = UniqueName("log");
        await sample.Client.GetStringAsync($"/greetings/{name}");
        await sample.Logs.WaitForAsync(m => m == $"greeted {name} (1 visits)", SampleHostFixture.Timeout);
    }
}
