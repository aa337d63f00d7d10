using System.Collections.Concurrent;
using System.Net;
using Akka.Configuration;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Routing.Filters;

/// <summary>Whose requests a <see cref="RateLimitFilter"/> counts together.</summary>
public enum RateLimitKey
{
    /// <summary>
    /// Per client address (<see cref="HttpRequest.RemoteAddress"/>: the client's own behind trusted proxies when
    /// <c>forwarded-headers</c> is on, else the TCP peer).
    /// </summary>
    ClientAddress,

    /// <summary>
    /// Per API key: the client name an <see cref="ApiKeyFilter"/> before this one attached (<see cref="ApiKeyFilter.ClientItem"/>);
    /// requests without one are counted by client address.
    /// </summary>
    ApiKey,
}

/// <summary>
/// Settings of a <see cref="RateLimitFilter"/> (HOCON: a filter definition of <c>type = rate-limit</c>, defaults in
/// <c>actor-http.filter-defaults.rate-limit</c>).
/// </summary>
public sealed record RateLimitSettings
{
    private static readonly Lazy<RateLimitSettings> Defaults = new(() =>
        FromConfig(Server.HttpServer.DefaultConfig().GetConfig("actor-http.filter-defaults.rate-limit"), "actor-http.filter-defaults.rate-limit"));

    /// <summary>reference.conf's <c>actor-http.filter-defaults.rate-limit</c>; change with <c>with</c>.</summary>
    public static RateLimitSettings Default => Defaults.Value;

    /// <summary><c>by</c>: <c>client-address</c> or <c>api-key</c>.</summary>
    public required RateLimitKey By { get; init; }

    /// <summary><c>capacity</c>: the bucket's size, the burst a client may send at once after being quiet.</summary>
    public required int Capacity { get; init; }

    /// <summary><c>refill-tokens</c> per <c>refill-period</c>: the sustained rate, added continuously.</summary>
    public required int RefillTokens { get; init; }

    /// <summary><c>refill-period</c>: see <see cref="RefillTokens"/>.</summary>
    public required TimeSpan RefillPeriod { get; init; }

    /// <summary>
    /// <c>max-clients</c>: buckets kept at most. Past it, buckets that have refilled (their clients were idle) are dropped,
    /// then the least recently used: with more clients active at once than this, some get a fresh bucket early.
    /// </summary>
    public required int MaxClients { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public void Validate()
    {
        if (Capacity < 1) throw new ArgumentException("capacity: must be at least 1");
        if (RefillTokens < 1) throw new ArgumentException("refill-tokens: must be at least 1");
        if (RefillPeriod <= TimeSpan.Zero) throw new ArgumentException("refill-period: must be a positive duration");
        if (MaxClients < 1) throw new ArgumentException("max-clients: must be at least 1");
    }

    /// <summary>Reads a filter definition's section (already backed by the defaults), naming <paramref name="prefix"/>.KEY in errors.</summary>
    internal static RateLimitSettings FromConfig(Config section, string prefix)
    {
        var c = new ConfigKeys(section, prefix);
        return new RateLimitSettings
        {
            By = c.Read("by", (k, x) => x.GetString(k)) switch
            {
                "client-address" => RateLimitKey.ClientAddress,
                "api-key" => RateLimitKey.ApiKey,
                var other => throw new ConfigurationException($"{prefix}.by: '{other}' is not client-address or api-key"),
            },
            Capacity = c.Int("capacity", 1, int.MaxValue),
            RefillTokens = c.Int("refill-tokens", 1, int.MaxValue),
            RefillPeriod = c.Duration("refill-period"),
            MaxClients = c.Int("max-clients", 1, int.MaxValue),
        };
    }
}

/// <summary>
/// A token bucket per client (<see cref="RateLimitSettings.By"/>): each request takes a token; tokens come back at
/// <c>refill-tokens</c> per <c>refill-period</c> up to <c>capacity</c>, by the clock given (the binding's
/// <see cref="ServerSettings.Clock"/>). A request finding the bucket empty is answered 429 with <c>Retry-After</c>: the
/// whole seconds until a token is back. Memory is bounded by <see cref="RateLimitSettings.MaxClients"/>.
/// Thread-safe: a lock per bucket, held for a few arithmetic operations.
/// </summary>
public sealed class RateLimitFilter : IRequestFilter
{
    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens = tokens;
        public long Updated = updated;
    }

    /// <summary>The key of requests with no address (made in code): they share one bucket.</summary>
    private static readonly object Unknown = new();

    private readonly RateLimitSettings _settings;
    private readonly TimeProvider _clock;
    private readonly double _tokensPerTick;
    private readonly ConcurrentDictionary<object, Bucket> _buckets = new();
    private readonly Lock _sweeping = new();
    private int _count;

    public RateLimitFilter(RateLimitSettings settings, TimeProvider clock)
    {
        settings.Validate();
        _settings = settings;
        _clock = clock;
        _tokensPerTick = settings.RefillTokens / (settings.RefillPeriod.TotalSeconds * clock.TimestampFrequency);
    }

    /// <summary>A definition whose filter reads the clock of the binding it serves (<see cref="FilterContext.Clock"/>).</summary>
    public static FilterDefinition Definition(RateLimitSettings settings, string name = "rate-limit")
    {
        settings.Validate();
        return FilterDefinition.Create(name, context => new RateLimitFilter(settings, context.Clock));
    }

    /// <summary>Buckets held now (for tests and diagnostics).</summary>
    public int TrackedClients => Volatile.Read(ref _count);

    /// <inheritdoc />
    public FilterResult Filter(HttpRequest request)
    {
        var now = _clock.GetTimestamp();
        var key = KeyOf(request);
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            if (Volatile.Read(ref _count) >= _settings.MaxClients) Sweep(now);
            bucket = new Bucket(_settings.Capacity, now);
            if (_buckets.TryAdd(key, bucket)) Interlocked.Increment(ref _count);
            else bucket = _buckets.TryGetValue(key, out var raced) ? raced : bucket; // lost a race (or it was swept again): either counts
        }

        double missing;
        lock (bucket)
        {
            Refill(bucket, now);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return FilterResult.Continue(request);
            }
            missing = 1 - bucket.Tokens;
        }
        var seconds = Math.Max(1, (long)Math.Ceiling(missing / _tokensPerTick / _clock.TimestampFrequency));
        return FilterResult.Respond(HttpResponse.Error(StatusCodes.TooManyRequests, "rate limit exceeded")
            with { Headers = [new HttpHeader("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture))] });
    }

    private object KeyOf(HttpRequest request)
    {
        if (_settings.By == RateLimitKey.ApiKey && request.Items.TryGetValue(ApiKeyFilter.ClientItem, out var client)) return client;
        return request.RemoteAddress switch
        {
            IPEndPoint ip => ForwardedHeadersSettings.Normalize(ip.Address), // IPAddress compares by value: no string per request
            DnsEndPoint dns => dns.Host,
            _ => Unknown,
        };
    }

    private void Refill(Bucket bucket, long now)
    {
        if (now <= bucket.Updated) return;
        bucket.Tokens = Math.Min(_settings.Capacity, bucket.Tokens + (now - bucket.Updated) * _tokensPerTick);
        bucket.Updated = now;
    }

    /// <summary>
    /// At <c>max-clients</c>: drops the buckets that are full again (forgetting them changes nothing), then, if that freed
    /// less than an eighth, the least recently used down to seven eighths, so the next sweeps are far apart. One thread
    /// sweeps; others go on meanwhile (the bound may be passed by the few requests that arrive during a sweep).
    /// </summary>
    private void Sweep(long now)
    {
        if (!_sweeping.TryEnter()) return;
        try
        {
            var target = _settings.MaxClients - Math.Max(1, _settings.MaxClients / 8);
            var stale = new List<(object Key, long Updated)>();
            foreach (var (key, bucket) in _buckets)
            {
                double tokens;
                long updated; // a bucket is refilled only when used: this is when it was last used
                lock (bucket) (tokens, updated) = (bucket.Tokens, bucket.Updated);
                if (tokens + Math.Max(0, now - updated) * _tokensPerTick >= _settings.Capacity) Remove(key);
                else stale.Add((key, updated));
            }
            if (Volatile.Read(ref _count) <= target) return;
            stale.Sort((a, b) => a.Updated.CompareTo(b.Updated));
            foreach (var (key, _) in stale)
            {
                if (Volatile.Read(ref _count) <= target) break;
                Remove(key);
            }
        }
        finally
        {
            _sweeping.Exit();
        }
    }

    private void Remove(object key)
    {
        if (_buckets.TryRemove(key, out _)) Interlocked.Decrement(ref _count);
    }
}
