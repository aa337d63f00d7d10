using System.Runtime.Serialization;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Persistence;
using ActorHttp.Cluster.Serialization;
using ActorHttp.Protocol;
using Xunit;

namespace ActorHttp.Cluster.Tests.Serialization;

/// <summary>
/// The stored format of durable entities: what the journal and the snapshot store hold outlives the code that wrote it,
/// so version 1's bytes are pinned here. A change to the format must add a version and keep these tests passing.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DurableEntitySerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("durable-serialization", ClusterHttp.DefaultConfig());

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private (byte[] Bytes, string Manifest) Write(object value)
    {
        var serializer = _system.Serialization.FindSerializerFor(value);
        Assert.IsType<DurableEntitySerializer>(serializer);
        Assert.Equal(8092, serializer.Identifier);
        return (serializer.ToBinary(value), Akka.Serialization.Serialization.ManifestFor(serializer, value));
    }

    private object Read(byte[] bytes, string manifest) => _system.Serialization.Deserialize(bytes, 8092, manifest);

    private static readonly StoredReply Reply = new(200, "application/json", [new HttpHeader("ETag", "\"1\"")], ByteString.FromString("{\"value\":1}"));

    public static TheoryData<string, object, string> Version1 => new()
    {
        { "counter incremented", CounterEvent.Incremented.Instance, "01" },
        { "counter reset", CounterEvent.Reset.Instance, "01" },
        { "counter state 300", new CounterState(300), "01AC02" },
        {
            "entry with key, reply and one event",
            new DurableEntry("k#1", Reply, [CounterEvent.Incremented.Instance]),
            "01046B233101C801116170706C69636174696F6E2F6A736F6E010545546167042231220B7B2276616C7565223A317D019C3F0343490101"
        },
        { "entry without key", new DurableEntry(null, null, [CounterEvent.Reset.Instance]), "010000019C3F0343520101" },
        { "snapshot", new DurableSnapshot(new CounterState(2), [("k#1", Reply)]), "019C3F03435302010201046B2331C801116170706C69636174696F6E2F6A736F6E010545546167042231220B7B2276616C7565223A317D" },
    };

    [Theory]
    [MemberData(nameof(Version1))]
    public void Version_1_bytes_are_pinned_and_read_back(string what, object value, string hex)
    {
        var (bytes, manifest) = Write(value);
        Assert.True(hex == Convert.ToHexString(bytes), $"{what}: {Convert.ToHexString(bytes)}");
        Assert.Equal(value, Read(Convert.FromHexString(hex), manifest));
    }

    [Fact]
    public void Another_version_or_a_truncated_record_is_refused_with_a_clear_message()
    {
        var (bytes, manifest) = Write(new DurableEntry("k", Reply, [CounterEvent.Incremented.Instance]));
        var future = (byte[])bytes.Clone();
        future[0] = 2;
        Assert.Contains("format version 2", Assert.Throws<SerializationException>(() => Read(future, manifest)).Message);
        Assert.Contains("truncated", Assert.Throws<SerializationException>(() => Read(bytes[..^3], manifest)).Message);
        Assert.Contains("unknown", Assert.Throws<SerializationException>(() => Read(bytes, "??")).Message);
    }
}
