using System.Net;
using System.Reflection;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Server;
using ActorHttp.Server.WebSockets;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>
/// The defaults are written in reference.conf only: every key of its <c>actor-http.server</c> section reaches the
/// property of the same name (kebab-case → PascalCase, sections → nested settings) with the value written there.
/// </summary>
[Trait("Category", "Server")]
public sealed class ServerSettingsTests
{
    private static readonly Config Reference = HttpServer.DefaultConfig().GetConfig("actor-http.server");

    public static TheoryData<string> ReferenceKeys()
    {
        var keys = new TheoryData<string>();
        foreach (var key in LeafKeys(Reference.Root.GetObject(), "")) keys.Add(key);
        return keys;
    }

    [Fact]
    public void Reference_conf_has_the_server_section_this_test_walks()
    {
        var keys = LeafKeys(Reference.Root.GetObject(), "").ToList();
        Assert.Contains("port", keys);
        Assert.Contains("parsing.max-body-size", keys);
        Assert.Contains("forwarded-headers.trusted-proxies", keys);
        Assert.Contains("event-stream.heartbeat-interval", keys);
    }

    [Theory]
    [MemberData(nameof(ReferenceKeys))]
    public void Settings_read_from_an_empty_config_hold_the_value_written_in_reference_conf(string key)
    {
        var expected = ValueWritten(key, PropertyAt(ServerSettings.Default, key).Property.PropertyType);
        foreach (var (name, settings) in new[] { ("Create(Empty)", ServerSettings.Create(ConfigurationFactory.Empty)), ("Default", ServerSettings.Default) })
        {
            var (owner, property) = PropertyAt(settings, key);
            var actual = property.GetValue(owner);
            var same = expected is IEnumerable<IPNetwork> list ? list.SequenceEqual((IEnumerable<IPNetwork>)actual!) : Equals(expected, actual);
            Assert.True(same, $"{key}: reference.conf says {Show(expected)}, ServerSettings.{name}.{property.Name} is {Show(actual)}");
        }
    }

    [Fact]
    public void Parser_defaults_are_the_server_defaults()
    {
        Assert.Equal(ServerSettings.Default.Parsing, ParserSettings.Default);
        Assert.Equal(ServerSettings.Create(ConfigurationFactory.Empty).Parsing, ParserSettings.Default);
    }

    [Theory]
    [InlineData("off", null)]
    [InlineData("false", null)]
    [InlineData("250ms", 250)]
    public void The_event_stream_heartbeat_is_a_duration_or_off(string value, int? milliseconds)
    {
        var settings = ServerSettings.Create(ConfigurationFactory.ParseString($"actor-http.server.event-stream.heartbeat-interval = {value}"));
        Assert.Equal(milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null, settings.EventStream.HeartbeatInterval);
    }

    [Theory]
    [InlineData("event-stream.heartbeat-interval = 0s", "actor-http.server.event-stream.heartbeat-interval must be a positive duration")]
    [InlineData("event-stream.heartbeat-interval = soon", "actor-http.server.event-stream.heartbeat-interval: invalid value 'soon'")]
    [InlineData("event-stream.max-queued-bytes = 10", "actor-http.server.event-stream.max-queued-bytes must be between 1024")]
    public void A_bad_event_stream_setting_names_its_key(string setting, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => ServerSettings.Create(ConfigurationFactory.ParseString($"actor-http.server.{setting}")));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("keep-alive-interval = 60s, idle-timeout = 30s", "idle-timeout (00:00:30) must be longer than keep-alive-interval")]
    [InlineData("max-message-size = lots", "actor-http.server.websocket.max-message-size")]
    [InlineData("close-timeout = off", "actor-http.server.websocket.close-timeout")]
    [InlineData("stream-message-threshold = 2m", "actor-http.server.websocket.stream-message-threshold must be between 0 and 1048576")]
    [InlineData("stream-message-threshold = soon", "actor-http.server.websocket.stream-message-threshold: invalid value 'soon'")]
    [InlineData("stream-message-threshold = 64k, max-streamed-message-size = 64k", "actor-http.server.websocket.max-streamed-message-size: must be larger than stream-message-threshold")]
    [InlineData("max-streamed-message-size = 0", "actor-http.server.websocket.max-streamed-message-size must be between 1")]
    public void A_bad_websocket_setting_is_named(string hocon, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => ServerSettings.Create(ConfigurationFactory.ParseString($"actor-http.server.websocket {{ {hocon} }}")));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void WebSocket_streaming_is_off_by_default_and_read_with_its_limit_which_may_be_off_too()
    {
        Assert.Equal((null, 1L << 30), (WebSocketSettings.Default.StreamMessageThreshold, WebSocketSettings.Default.MaxStreamedMessageSize));
        var settings = ServerSettings.Create(ConfigurationFactory.ParseString(
            "actor-http.server.websocket { stream-message-threshold = 64k, max-streamed-message-size = off }"));
        Assert.Equal((64L * 1024, long.MaxValue), (settings.WebSocket.StreamMessageThreshold, settings.WebSocket.MaxStreamedMessageSize));
    }

    [Fact]
    public void WebSocket_timers_can_be_off()
    {
        var settings = ServerSettings.Create(ConfigurationFactory.ParseString("actor-http.server.websocket { keep-alive-interval = off, idle-timeout = off }"));
        Assert.Null(settings.WebSocket.KeepAliveInterval);
        Assert.Null(settings.WebSocket.IdleTimeout);
    }

    [Fact]
    public void Defaults_are_changed_with_with()
    {
        var settings = ServerSettings.Default with { Port = 0, Parsing = ParserSettings.Default with { MaxHeaderCount = 7 } };
        Assert.Equal(0, settings.Port);
        Assert.Equal(7, settings.Parsing.MaxHeaderCount);
        Assert.Equal(ServerSettings.Default.Hostname, settings.Hostname);
        Assert.Equal(ServerSettings.Default.Parsing.MaxBodySize, settings.Parsing.MaxBodySize);
    }

    /// <summary>The keys of the leaves under <paramref name="node"/>, dotted: <c>parsing.max-body-size</c>.</summary>
    private static IEnumerable<string> LeafKeys(HoconObject node, string prefix)
    {
        foreach (var (name, value) in node.Items)
        {
            if (value.IsObject())
                foreach (var key in LeafKeys(value.GetObject(), $"{prefix}{name}.")) yield return key;
            else yield return prefix + name;
        }
    }

    /// <summary>The property a dotted key names (<c>parsing.max-body-size</c> → <c>Parsing.MaxBodySize</c>) and the object holding it.</summary>
    private static (object Owner, PropertyInfo Property) PropertyAt(ServerSettings settings, string key)
    {
        object owner = settings;
        var segments = key.Split('.');
        for (var i = 0; ; i++)
        {
            var name = string.Concat(segments[i].Split('-').Select(word => char.ToUpperInvariant(word[0]) + word[1..]));
            var property = owner.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) // websocket → WebSocket
                           ?? throw new Xunit.Sdk.XunitException($"reference.conf has actor-http.server.{key}, but {owner.GetType().Name} has no property {name}");
            if (i == segments.Length - 1) return (owner, property);
            owner = property.GetValue(owner)!;
        }
    }

    /// <summary>The value reference.conf writes for <paramref name="key"/>, as the property's type.</summary>
    private static object? ValueWritten(string key, Type type) => type switch
    {
        _ when type == typeof(string) => Reference.GetString(key),
        _ when type == typeof(bool) => Reference.GetBoolean(key),
        _ when type == typeof(int) => checked((int)Reference.GetByteSize(key)!.Value), // counts, and sizes such as 8k
        _ when type == typeof(long) => Reference.GetByteSize(key)!.Value,
        _ when type == typeof(long?) => Reference.GetString(key) is "off" ? null : Reference.GetByteSize(key), // "off": none
        _ when type == typeof(TimeSpan) => Reference.GetTimeSpan(key),
        _ when type == typeof(TimeSpan?) => Reference.GetString(key) is "off" ? null : Reference.GetTimeSpan(key), // "off": none
        _ when type == typeof(IReadOnlyList<IPNetwork>) => Reference.GetStringList(key).Select(ForwardedHeadersSettings.Parse).ToList(),
        _ => throw new Xunit.Sdk.XunitException($"actor-http.server.{key}: no comparison for {type.Name} yet; add one here"),
    };

    private static string Show(object? value) => value is IEnumerable<IPNetwork> list ? $"[{string.Join(", ", list)}]" : $"'{value}'";
}
