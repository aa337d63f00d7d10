using System.Runtime.Serialization;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Persistence;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Serialization;

/// <summary>
/// Serializes what durable entities keep: their journal entries (<see cref="DurableEntry"/>), their snapshots
/// (<see cref="DurableSnapshot"/>), and the demo counter's events and state. These bytes outlive the process that wrote
/// them (they are read back by later versions after a restart or a deployment), so the format is versioned and pinned
/// by tests: a later version must keep reading version 1. Bound in reference.conf with identifier 8092.
/// <para>
/// Layout of version 1 (integers as unsigned LEB128, strings as length + 1 then UTF-8 with 0 for null, byte blocks as
/// length then bytes), after the version byte: an entry is its request key (string), a flag and, when set, its reply
/// (status, content type, header count, each name and value, body), then the count of events and each event as its
/// serializer id, manifest and bytes (Akka's serialization of whatever type it is). A snapshot is the state (as an
/// event) and the count of remembered requests, each as key and reply. A counter's Incremented and Reset carry nothing;
/// its state is the value.
/// </para>
/// </summary>
public sealed class DurableEntitySerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The version of the format, the first byte of every payload.</summary>
    public const byte FormatVersion = 1;

    private const string EntryManifest = "E";
    private const string SnapshotManifest = "S";
    private const string IncrementedManifest = "CI";
    private const string ResetManifest = "CR";
    private const string CounterStateManifest = "CS";

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        DurableEntry => EntryManifest,
        DurableSnapshot => SnapshotManifest,
        CounterEvent.Incremented => IncrementedManifest,
        CounterEvent.Reset => ResetManifest,
        CounterState => CounterStateManifest,
        _ => throw new ArgumentException($"{nameof(DurableEntitySerializer)} cannot serialize {o?.GetType().FullName ?? "null"}"),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var writer = new WireWriter(64);
        writer.Byte(FormatVersion);
        switch (obj)
        {
            case DurableEntry entry:
                writer.String(entry.RequestKey);
                writer.Bool(entry.Reply is not null);
                if (entry.Reply is not null) WriteReply(writer, entry.Reply);
                writer.VarInt((ulong)entry.Events.Count);
                foreach (var e in entry.Events) writer.Nested(system, e);
                break;
            case DurableSnapshot snapshot:
                writer.Nested(system, snapshot.State);
                writer.VarInt((ulong)snapshot.Remembered.Count);
                foreach (var (key, reply) in snapshot.Remembered)
                {
                    writer.String(key);
                    WriteReply(writer, reply);
                }
                break;
            case CounterEvent.Incremented or CounterEvent.Reset:
                break;
            case CounterState state:
                writer.VarInt((ulong)state.Value);
                break;
            default:
                throw new ArgumentException($"{nameof(DurableEntitySerializer)} cannot serialize {obj?.GetType().FullName ?? "null"}");
        }
        return writer.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var what = $"ActorHttp durable record '{manifest}'";
        var reader = new WireReader(bytes, what);
        var version = reader.Byte();
        if (version != FormatVersion)
            throw new SerializationException($"{what} has format version {version}; this version of ActorHttp reads version {FormatVersion}");
        object value = manifest switch
        {
            EntryManifest => ReadEntry(ref reader),
            SnapshotManifest => ReadSnapshot(ref reader),
            IncrementedManifest => CounterEvent.Incremented.Instance,
            ResetManifest => CounterEvent.Reset.Instance,
            CounterStateManifest => new CounterState((long)reader.VarInt()),
            _ => throw new SerializationException($"unknown ActorHttp durable record manifest '{manifest}'"),
        };
        if (!reader.AtEnd) throw new SerializationException($"{what}: unexpected bytes after the record");
        return value;
    }

    private DurableEntry ReadEntry(ref WireReader reader)
    {
        var key = reader.NullableString();
        var reply = reader.Bool() ? ReadReply(ref reader) : null;
        var count = reader.Count();
        var events = new object[count];
        for (var i = 0; i < count; i++) events[i] = reader.Nested(system);
        return new DurableEntry(key, reply, events);
    }

    private DurableSnapshot ReadSnapshot(ref WireReader reader)
    {
        var state = reader.Nested(system);
        var count = reader.Count();
        var remembered = new List<(string, StoredReply)>(count);
        for (var i = 0; i < count; i++) remembered.Add((reader.String(), ReadReply(ref reader)));
        return new DurableSnapshot(state, remembered);
    }

    private static void WriteReply(WireWriter writer, StoredReply reply)
    {
        writer.VarInt((ulong)reply.Status);
        writer.String(reply.ContentType);
        writer.VarInt((ulong)reply.Headers.Count);
        foreach (var header in reply.Headers)
        {
            writer.String(header.Name);
            writer.String(header.Value);
        }
        writer.Bytes(reply.Body.IsEmpty ? [] : reply.Body.ToReadOnlySpan());
    }

    private static StoredReply ReadReply(ref WireReader reader)
    {
        var status = reader.VarInt();
        if (status is < 100 or > 999) throw new SerializationException($"ActorHttp durable record: invalid status {status}");
        var contentType = reader.NullableString();
        var count = reader.Count();
        var headers = new HttpHeader[count];
        for (var i = 0; i < count; i++) headers[i] = new HttpHeader(reader.String(), reader.String());
        var body = reader.Bytes();
        return new StoredReply((int)status, contentType, headers, body.IsEmpty ? ByteString.Empty : ByteString.FromBytes(body.ToArray()));
    }
}
