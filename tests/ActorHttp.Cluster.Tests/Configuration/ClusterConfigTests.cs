using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Host;
using ActorHttp.Routing;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Cluster.Tests.Configuration;

/// <summary>Sharded routes and cluster endpoints in HOCON, the node's cluster settings, and the errors that name the key.</summary>
[Trait("Category", "Cluster")]
public sealed class ClusterConfigTests
{
    private const string Counter = "ActorHttp.Cluster.Demo.CounterEntity, ActorHttp.Cluster";

    private static Config Node(string hocon) => ConfigurationFactory.ParseString(hocon).WithFallback(ConfigurationFactory.ParseString("akka.actor.provider = cluster"));

    private static Routes Load(string hocon)
    {
        var config = Node(hocon);
        ClusterRouteHandlers.ValidateNodeConfig(config);
        return RouteConfig.Load(config, ClusterRouteHandlers.Create(config));
    }

    private static ShardedEntity EntityOf(RouteDefinition route)
    {
        Assert.Equal(typeof(ShardedRouteHandler), route.HandlerProps!.Type);
        return Assert.IsType<ShardedEntity>(Assert.Single(route.HandlerProps.Arguments));
    }

    [Fact]
    public void A_sharded_route_takes_the_defaults_and_its_own_overrides()
    {
        var routes = Load($$"""
            actor-http.cluster.sharding.entity-timeout = 3s
            actor-http.routes {
              counters { path = "/counters/{id}", methods = [GET, POST, DELETE], handler = sharded, entity-handler = "{{Counter}}" }
              carts {
                path = "/carts/{cart}/items", method = GET, handler = sharded, entity-handler = "{{Counter}}"
                entity-type = shopping-carts, id-parameter = cart, number-of-shards = 30, passivate-idle-after = off
                role = carts, retry-after = 5s, max-body-size = 16k, remember-entities = on
              }
            }
            """);
        var counters = EntityOf(routes.Definitions[0]);
        Assert.Equal("counters", counters.TypeName); // the route's name
        Assert.Equal(typeof(CounterEntity), counters.EntityProps.Type);
        Assert.Equal("id", counters.IdParameter);
        Assert.Equal(100, counters.NumberOfShards);
        Assert.Equal(TimeSpan.FromSeconds(120), counters.PassivateIdleAfter);
        Assert.Null(counters.Role);
        Assert.Equal(TimeSpan.FromSeconds(3), counters.EntityTimeout);
        Assert.Equal(64 * 1024, counters.MaxBodySize);
        Assert.False(counters.RememberEntities);
        Assert.Equal(["GET", "POST", "DELETE"], routes.Definitions[0].Methods);

        var carts = EntityOf(routes.Definitions[1]);
        Assert.Equal(new ShardedEntity("shopping-carts", carts.EntityProps)
        {
            IdParameter = "cart", NumberOfShards = 30, PassivateIdleAfter = null, Role = "carts", RememberEntities = true,
            EntityTimeout = TimeSpan.FromSeconds(3), RetryAfter = TimeSpan.FromSeconds(5), MaxBodySize = 16 * 1024,
        }, carts);
    }

    [Fact]
    public void A_sharded_entity_made_in_code_has_the_defaults_of_reference_conf()
    {
        // Code needs defaults without a config (new ShardedEntity(name, props)): they must be the ones reference.conf writes.
        var props = CounterEntity.Props();
        var fromReference = ShardedEntity.FromConfig("c", props, ConfigurationFactory.Empty,
            ClusterHttp.DefaultConfig().GetConfig("actor-http.cluster.sharding"), "actor-http.cluster.sharding");
        Assert.Equal(fromReference, new ShardedEntity("c", props));
    }

    [Fact]
    public void Cluster_endpoints_are_handler_kinds()
    {
        var routes = Load("""
            actor-http.routes {
              members { path = "/cluster/members", handler = cluster-members }
              shards { path = "/cluster/shards", handler = cluster-shards }
              health { path = "/health", handler = cluster-health }
            }
            """);
        Assert.Equal([typeof(ClusterMembersHandler), typeof(ClusterShardsHandler), typeof(ClusterHealthHandler)],
            routes.Definitions.Select(d => d.HandlerProps!.Type));
    }

    [Theory]
    [InlineData("handler = sharded", "actor-http.routes.r.entity-handler is missing")]
    [InlineData("handler = sharded, entity-handler = \"No.Such.Type, Nowhere\"", "actor-http.routes.r.entity-handler: type 'No.Such.Type, Nowhere' not found")]
    [InlineData("handler = sharded, entity-handler = \"System.String\"", "actor-http.routes.r.entity-handler: 'System.String' is not a concrete actor type")]
    [InlineData("handler = sharded, entity-handler = \"" + Counter + "\", id-parameter = key", "actor-http.routes.r.id-parameter: route '/things/{id}' has no {key} segment")]
    [InlineData("handler = sharded, entity-handler = \"" + Counter + "\", number-of-shards = 0", "actor-http.routes.r.number-of-shards must be between 1 and 100000")]
    [InlineData("handler = sharded, entity-handler = \"" + Counter + "\", entity-timeout = soon", "actor-http.routes.r.entity-timeout: invalid value 'soon'")]
    [InlineData("handler = sharded, entity-handler = \"" + Counter + "\", entity-timeout = 30s", "actor-http.routes.r.entity-timeout (30s) must be below actor-http.server.response-timeout (30s)")]
    [InlineData("handler = sharded, entity-handler = \"" + Counter + "\", max-body-size = 1m", "akka.remote.dot-netty.tcp.maximum-frame-size (128000 bytes)")]
    [InlineData("handler = sharded, entity-handler = \"" + Counter + "\", passivate-idle-after = 0s", "actor-http.routes.r.passivate-idle-after must be a positive duration or off")]
    public void Mistakes_in_a_sharded_route_name_the_key(string keys, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load($$"""actor-http.routes.r { path = "/things/{id}", {{keys}} }"""));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_larger_body_limit_is_accepted_with_a_larger_frame()
    {
        var routes = Load($$"""
            akka.remote.dot-netty.tcp.maximum-frame-size = 2m
            actor-http.routes.r { path = "/things/{id}", handler = sharded, entity-handler = "{{Counter}}", max-body-size = 1m }
            """);
        Assert.Equal(1024 * 1024, EntityOf(routes.Definitions[0]).MaxBodySize);
    }

    [Fact]
    public void Routes_sharing_an_entity_type_must_place_it_the_same_way()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load($$"""
            actor-http.routes {
              a { path = "/a/{id}", handler = sharded, entity-handler = "{{Counter}}", entity-type = t }
              b { path = "/b/{id}", handler = sharded, entity-handler = "{{Counter}}", entity-type = t, number-of-shards = 7 }
            }
            """));
        Assert.Contains("actor-http.routes.b: entity-type 't' is also served by actor-http.routes.a", e.Message);

        // Same placement, different templates and timeouts: fine.
        Assert.Equal(2, Load($$"""
            actor-http.routes {
              a { path = "/a/{id}", method = GET, handler = sharded, entity-handler = "{{Counter}}", entity-type = t }
              b { path = "/b/{x}", method = POST, handler = sharded, entity-handler = "{{Counter}}", entity-type = t, id-parameter = x, entity-timeout = 1s }
            }
            """).Definitions.Count);
    }

    [Theory]
    [InlineData("akka.actor.provider = local\nactor-http.routes.counters { path = \"/c/{id}\", handler = sharded }",
        "akka.actor.provider must be cluster: route actor-http.routes.counters uses handler = sharded")]
    [InlineData("akka.actor.provider = local\nactor-http.routes.m { path = \"/m\", handler = cluster-members }",
        "akka.actor.provider must be cluster: route actor-http.routes.m uses handler = cluster-members")]
    [InlineData("actor-http.cluster.seed-nodes = \"akka.tcp://actor-http@127.0.0.1:19080, not an address\"", "actor-http.cluster.seed-nodes: 'not an address' is not a node address")]
    [InlineData("actor-http.cluster.seed-nodes = [\"akka.tcp://actor-http@127.0.0.1\"]", "actor-http.cluster.seed-nodes: 'akka.tcp://actor-http@127.0.0.1' needs a host and a port")]
    [InlineData("akka.cluster.seed-nodes = [\"127.0.0.1:19080\"]", "akka.cluster.seed-nodes: '127.0.0.1:19080' is not a node address")]
    [InlineData("actor-http.cluster.join-warning-interval = 0s", "actor-http.cluster.join-warning-interval must be a positive duration")]
    public void Bad_cluster_configuration_names_the_key(string hocon, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => ClusterRouteHandlers.ValidateNodeConfig(Node(hocon)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Seed_nodes_may_be_a_list_or_one_comma_separated_string()
    {
        var fromList = ClusterHttpSettings.Create(Node("actor-http.cluster.seed-nodes = [\"akka.tcp://a@127.0.0.1:1\", \"akka.tcp://a@127.0.0.1:2\"]"));
        var fromString = ClusterHttpSettings.Create(Node("actor-http.cluster.seed-nodes = \" akka.tcp://a@127.0.0.1:1 ,akka.tcp://a@127.0.0.1:2\""));
        Assert.Equal(fromList.SeedNodes, fromString.SeedNodes);
        Assert.Equal([Address.Parse("akka.tcp://a@127.0.0.1:1"), Address.Parse("akka.tcp://a@127.0.0.1:2")], fromList.SeedNodes);
        Assert.Empty(ClusterHttpSettings.Create(ConfigurationFactory.Empty).SeedNodes);
    }

    [Fact]
    public void The_node_configurations_load_with_their_cluster_routes()
    {
        foreach (var file in new[] { "standalone.conf", "cluster-node.conf" })
        {
            var path = Path.Combine(RepoPaths.Root, "hocon", file);
            // Static sites' roots are relative to the node's working directory, the repository root; the tests run elsewhere.
            var routes = NodeConfig.Load(path, null, [], _ => null).GetConfig("actor-http.routes");
            var roots = routes.Root.GetObject().Items.Keys
                .Where(name => routes.GetString($"{name}.handler", "") == "static")
                .Select(name => $"actor-http.routes.{name}.root = \"{Path.Combine(RepoPaths.Root, routes.GetString($"{name}.root"))}\"");
            var config = NodeConfig.Load(path, null, roots, _ => null);
            ClusterRouteHandlers.ValidateNodeConfig(config);
            var definitions = RouteConfig.Load(config, ClusterRouteHandlers.Create(config)).Definitions;
            var counters = definitions.Single(d => d.Template.Template == "/counters/{id}");
            Assert.Equal("counters", EntityOf(counters).TypeName);
            Assert.Equal(typeof(CounterEntity), EntityOf(counters).EntityProps.Type);
            var events = definitions.Single(d => d.Template.Template == "/counters/{id}/events");
            Assert.Equal(["GET"], events.Methods);
            Assert.Equal("counters", config.GetString($"actor-http.routes.{events.Name}.entity-type"));
            Assert.Equal("per-request", config.GetString($"actor-http.routes.{events.Name}.kind"));
        }
    }

    [Fact]
    public void Environment_variables_named_by_the_node_config_override_its_file()
    {
        var path = Path.Combine(RepoPaths.Root, "hocon", "cluster-node.conf");
        var environment = new Dictionary<string, string>
        {
            ["ACTORHTTP_HTTP_PORT"] = "28080",
            ["ACTORHTTP_REMOTE_PORT"] = "29080",
            ["ACTORHTTP_SEED_NODES"] = "akka.tcp://actor-http@127.0.0.1:29080,akka.tcp://actor-http@127.0.0.1:29081",
            ["ACTORHTTP_REMOTE_HOSTNAME"] = "",
        };
        var config = NodeConfig.Load(path, null, ["akka.remote.dot-netty.tcp.port = 29999"], v => environment.GetValueOrDefault(v));
        Assert.Equal(28080, config.GetInt("actor-http.server.port"));
        Assert.Equal(29999, config.GetInt("akka.remote.dot-netty.tcp.port")); // --set wins over the environment
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname")); // empty: the file's value stands
        Assert.Equal(2, ClusterHttpSettings.Create(config).SeedNodes.Count);
        Assert.Equal(18080, NodeConfig.Load(path, null, [], _ => null).GetInt("actor-http.server.port"));
        Assert.Equal(8081, NodeConfig.Load(path, 8081, [], v => environment.GetValueOrDefault(v)).GetInt("actor-http.server.port"));
    }
}
