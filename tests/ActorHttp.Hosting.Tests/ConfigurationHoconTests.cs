using ActorHttp.Routing;
using ActorHttp.Server;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ActorHttp.Hosting.Tests;

/// <summary>An IConfiguration section read as the HOCON <c>actor-http</c> block.</summary>
[Trait("Category", "Hosting")]
public sealed class ConfigurationHoconTests
{
    private static IConfigurationSection Section(IDictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("ActorHttp");

    [Theory]
    [InlineData("IdleTimeout", "idle-timeout")]
    [InlineData("idleTimeout", "idle-timeout")]
    [InlineData("idle_timeout", "idle-timeout")]
    [InlineData("idle-timeout", "idle-timeout")]
    [InlineData("IoFrameSize", "io-frame-size")]
    [InlineData("Port", "port")]
    public void Keys_in_dotnet_style_become_the_hocon_keys(string key, string hocon) => Assert.Equal(hocon, ConfigurationHocon.SettingKey(key));

    [Fact]
    public void Server_settings_and_routes_are_read_by_the_same_readers_as_hocon()
    {
        var translated = ConfigurationHocon.Translate(Section(new Dictionary<string, string?>
        {
            ["ActorHttp:Server:Port"] = "0",
            ["ActorHttp:Server:IdleTimeout"] = "5s",
            ["ActorHttp:Server:server-header"] = "",
            ["ActorHttp:Server:ForwardedHeaders:Enabled"] = "True", // a JSON true
            ["ActorHttp:Server:ForwardedHeaders:TrustedProxies:0"] = "10.0.0.0/8",
            ["ActorHttp:Server:ForwardedHeaders:TrustedProxies:1"] = "::1",
            ["ActorHttp:Server:Parsing:MaxBodySize"] = "2m",
            ["ActorHttp:Routes:Hello World:Path"] = "/hello",
            ["ActorHttp:Routes:Hello World:Methods:0"] = "GET",
            ["ActorHttp:Routes:Hello World:Methods:1"] = "POST",
            ["ActorHttp:Routes:Hello World:Handler"] = "text",
            ["ActorHttp:Routes:Hello World:Text"] = "say \"hi\"\\",
            ["ActorHttp:Routes:Hello World:ContentType"] = "text/html",
        })).Config;

        var settings = ServerSettings.Create(translated);
        Assert.Equal(0, settings.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.IdleTimeout);
        Assert.Equal("", settings.ServerHeader);
        Assert.True(settings.ForwardedHeaders.Enabled);
        Assert.Equal(2 * 1024 * 1024, settings.Parsing.MaxBodySize);
        Assert.Equal(ServerSettings.Default.RequestHeaderTimeout, settings.RequestHeaderTimeout); // the rest from reference.conf

        var route = Assert.Single(RouteConfig.Load(translated).Definitions);
        Assert.Equal("Hello World", route.Name); // route names are kept as written
        Assert.Equal(["GET", "POST"], route.Methods);
        Assert.Equal("/hello", route.Template.Template);
        Assert.Equal("say \"hi\"\\", translated.GetString("actor-http.routes.\"Hello World\".text"));
        Assert.Equal("text/html", translated.GetString("actor-http.routes.\"Hello World\".content-type"));
    }

    [Fact]
    public void Environment_variables_name_the_keys_with_double_underscores()
    {
        var prefix = $"AH{Guid.NewGuid():N}_";
        var variables = new Dictionary<string, string>
        {
            [$"{prefix}ActorHttp__Server__IdleTimeout"] = "7s",
            [$"{prefix}ActorHttp__Routes__env__Path"] = "/env",
            [$"{prefix}ActorHttp__Routes__env__Handler"] = "text",
            [$"{prefix}ActorHttp__Routes__env__Text"] = "from the environment",
        };
        try
        {
            foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);
            var section = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build().GetSection("ActorHttp");
            var translated = ConfigurationHocon.Translate(section).Config;
            Assert.Equal(TimeSpan.FromSeconds(7), ServerSettings.Create(translated).IdleTimeout);
            Assert.Equal("/env", Assert.Single(RouteConfig.Load(translated).Definitions).Template.Template);
        }
        finally
        {
            foreach (var name in variables.Keys) Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void An_empty_route_removes_it_and_a_list_of_objects_is_refused()
    {
        var translated = ConfigurationHocon.Translate(Section(new Dictionary<string, string?> { ["ActorHttp:routes:gone"] = "" })).Config;
        Assert.Empty(RouteConfig.Load(translated).Definitions);

        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => ConfigurationHocon.Translate(Section(new Dictionary<string, string?>
        {
            ["ActorHttp:routes:r:methods:0:name"] = "GET",
        })));
        Assert.Equal("ActorHttp:routes:r:methods:0: a list item must be a value, not an object", e.Message);
    }

    [Fact]
    public void Errors_name_the_configuration_key_and_the_hocon_key()
    {
        var translated = ConfigurationHocon.Translate(Section(new Dictionary<string, string?>
        {
            ["ActorHttp:Routes:r:Path"] = "/r",
            ["ActorHttp:Routes:r:Handler"] = "text",
        }));
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => RouteConfig.Load(translated.Config));
        Assert.Equal("ActorHttp:Routes:r:text (actor-http.routes.r.text) is missing (the text handler's body)", translated.Explain(e).Message);

        // A key that did not come from the section is left as HOCON names it.
        var other = new Akka.Configuration.ConfigurationException("actor-http.cluster.seed-nodes: bad");
        Assert.Same(other, translated.Explain(other));
    }
}
