using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorHttp.Samples.Hosting;

/// <summary><c>GET /stats</c>'s body.</summary>
public sealed record GreetingStats(int Greetings);

/// <summary>
/// The sample's JSON bodies, serialized by source generation (no reflection at run time; trimming-safe), with the
/// web's camelCase names.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(VoteCount))]
[JsonSerializable(typeof(GreetingStats))]
public sealed partial class SampleJson : JsonSerializerContext;
