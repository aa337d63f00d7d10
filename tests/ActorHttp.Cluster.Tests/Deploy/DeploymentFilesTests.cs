using ActorHttp.Tests.EndToEnd;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace ActorHttp.Cluster.Tests.Deploy;

/// <summary>
/// The deployment files that cannot run here (no container engine): they parse, and their parts agree with each other
/// and with hocon/cluster-node.conf (ports, seed names, probes).
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DeploymentFilesTests
{
    private static string DeployPath(params string[] parts) => Path.Combine([RepoPaths.Root, "deploy", .. parts]);

    private static YamlMappingNode Yaml(params string[] parts) => Assert.Single(YamlDocuments(parts));

    /// <summary>Every document of a multi-document YAML file (separated by ---).</summary>
    private static IReadOnlyList<YamlMappingNode> YamlDocuments(params string[] parts)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(DeployPath(parts));
        stream.Load(reader);
        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
    }

    private static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            var mapping = Assert.IsType<YamlMappingNode>(node);
            Assert.True(mapping.Children.TryGetValue(new YamlScalarNode(key), out var child), $"no '{key}' in {string.Join('.', path)}");
            node = child!;
        }
        return node;
    }

    private static string Scalar(YamlNode node, params string[] path) => Assert.IsType<YamlScalarNode>(At(node, path)).Value!;

    [Fact]
    public void Docker_compose_runs_three_nodes_that_share_the_seed_list()
    {
        var services = Assert.IsType<YamlMappingNode>(At(Yaml("docker", "docker-compose.yml"), "services"));
        Assert.Equal(["postgres", "node1", "node2", "node3"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        var nodes = services.Children.Where(s => ((YamlScalarNode)s.Key).Value != "postgres").ToList();
        var seeds = nodes.Select(s => Scalar(s.Value, "environment", "ACTORHTTP_SEED_NODES")).Distinct().ToList();
        Assert.Equal("akka.tcp://actor-http@node1:19080,akka.tcp://actor-http@node2:19080", Assert.Single(seeds));
        foreach (var (name, service) in nodes)
        {
            Assert.Equal(((YamlScalarNode)name).Value, Scalar(service, "environment", "ACTORHTTP_REMOTE_PUBLIC_HOSTNAME"));
            Assert.StartsWith("127.0.0.1:", ((YamlScalarNode)Assert.Single(((YamlSequenceNode)At(service, "ports")).Children)).Value);
            // Every node writes the durable counters to the postgres service, once it is healthy.
            Assert.Equal("postgresql", Scalar(service, "environment", "ACTORHTTP_PERSISTENCE_STORE"));
            Assert.StartsWith("Host=postgres;", Scalar(service, "environment", "ACTORHTTP_POSTGRESQL_CONNECTION_STRING"));
            Assert.Equal("service_healthy", Scalar(service, "depends_on", "postgres", "condition"));
        }
        Assert.Equal("actorhttp", Scalar(services, "postgres", "environment", "POSTGRES_DB"));
        Assert.Equal("deploy/docker/Dockerfile", Scalar(services, "node1", "build", "dockerfile"));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "deploy", "docker", "Dockerfile")));
    }

    [Fact]
    public void The_dockerfile_runs_the_cluster_node_configuration()
    {
        var dockerfile = File.ReadAllText(DeployPath("docker", "Dockerfile"));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"ActorHttp.Host.dll\", \"--config\", \"hocon/cluster-node.conf\"]", dockerfile);
        Assert.Contains("EXPOSE 18080 19080", dockerfile);
        Assert.Contains("dotnet publish src/ActorHttp.Host", dockerfile);
    }

    [Fact]
    public void Kubernetes_runs_a_stateful_set_behind_a_headless_service_with_a_readiness_probe_on_health()
    {
        var headless = Yaml("kubernetes", "headless-service.yaml");
        Assert.Equal("Service", Scalar(headless, "kind"));
        Assert.Equal("None", Scalar(headless, "spec", "clusterIP"));
        Assert.Equal("true", Scalar(headless, "spec", "publishNotReadyAddresses"));
        var serviceName = Scalar(headless, "metadata", "name");

        var set = Yaml("kubernetes", "statefulset.yaml");
        Assert.Equal("StatefulSet", Scalar(set, "kind"));
        Assert.Equal(serviceName, Scalar(set, "spec", "serviceName"));
        Assert.Equal("3", Scalar(set, "spec", "replicas"));
        Assert.Equal(Scalar(set, "spec", "selector", "matchLabels", "app"), Scalar(headless, "spec", "selector", "app"));
        var container = Assert.Single(((YamlSequenceNode)At(set, "spec", "template", "spec", "containers")).Children);
        Assert.Equal("/health", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));

        var ports = ((YamlSequenceNode)At(container, "ports")).Children.ToDictionary(p => Scalar(p, "name"), p => Scalar(p, "containerPort"));
        Assert.Equal("18080", ports["http"]);
        Assert.Equal("19080", ports["remoting"]);
        var env = ((YamlSequenceNode)At(container, "env")).Children.ToDictionary(e => Scalar(e, "name"), e => e);
        Assert.Equal($"$(POD_NAME).{serviceName}", Scalar(env["ACTORHTTP_REMOTE_PUBLIC_HOSTNAME"], "value"));
        var setName = Scalar(set, "metadata", "name");
        Assert.Equal($"akka.tcp://actor-http@{setName}-0.{serviceName}:19080,akka.tcp://actor-http@{setName}-1.{serviceName}:19080",
            Scalar(env["ACTORHTTP_SEED_NODES"], "value"));

        Assert.Equal("postgresql", Scalar(env["ACTORHTTP_PERSISTENCE_STORE"], "value"));
        var secret = Scalar(env["ACTORHTTP_POSTGRESQL_CONNECTION_STRING"], "valueFrom", "secretKeyRef", "name");
        var postgres = YamlDocuments("kubernetes", "postgres.yaml");
        Assert.Contains(postgres, d => Scalar(d, "kind") == "Secret" && Scalar(d, "metadata", "name") == secret
                                       && Scalar(d, "stringData", "connection-string").StartsWith("Host=postgres;", StringComparison.Ordinal));
        Assert.Contains(postgres, d => Scalar(d, "kind") == "Service" && Scalar(d, "metadata", "name") == "postgres");

        var client = Yaml("kubernetes", "service.yaml");
        Assert.Equal("http", Scalar(Assert.Single(((YamlSequenceNode)At(client, "spec", "ports")).Children), "targetPort"));
    }

    [Fact]
    public void The_environment_variables_of_the_deployments_are_those_the_node_config_reads()
    {
        var nodeConfig = File.ReadAllText(Path.Combine(RepoPaths.Root, "hocon", "cluster-node.conf"));
        var used = new[] { "ACTORHTTP_SEED_NODES", "ACTORHTTP_REMOTE_PUBLIC_HOSTNAME", "ACTORHTTP_HTTP_HOSTNAME", "ACTORHTTP_REMOTE_HOSTNAME", "ACTORHTTP_HTTP_PORT", "ACTORHTTP_REMOTE_PORT",
            "ACTORHTTP_PERSISTENCE_STORE", "ACTORHTTP_SQLITE_FILE", "ACTORHTTP_POSTGRESQL_CONNECTION_STRING" };
        foreach (var variable in used) Assert.Contains($"{variable} = \"", nodeConfig);
        foreach (var line in File.ReadAllLines(DeployPath("systemd", "node.env.example")).Where(l => l.Length > 0 && !l.StartsWith('#')))
            Assert.Contains(line[..line.IndexOf('=')], used);
    }

    [Fact]
    public void The_systemd_unit_starts_the_node_and_stops_it_with_sigterm()
    {
        var sections = new Dictionary<string, Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var raw in File.ReadAllLines(DeployPath("systemd", "actorhttp.service")))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('[')) sections[line.Trim('[', ']')] = current = new Dictionary<string, string>();
            else current![line[..line.IndexOf('=')]] = line[(line.IndexOf('=') + 1)..];
        }
        Assert.Equal(["Unit", "Service", "Install"], sections.Keys);
        Assert.Contains("ActorHttp.Host.dll --config /opt/actorhttp/hocon/cluster-node.conf", sections["Service"]["ExecStart"]);
        Assert.Equal("SIGTERM", sections["Service"]["KillSignal"]);
        Assert.Equal("multi-user.target", sections["Install"]["WantedBy"]);
    }
}
