using System.Diagnostics;
using System.Numerics;

namespace SocketLoad;

/// <summary>
/// Latencies in Stopwatch ticks, log-linear: exact below 256 ticks, then 128 buckets per power of two (under 0.8%
/// error), from a tick to centuries in 7,424 counters. Record is for one thread; RecordShared for many.
/// </summary>
internal sealed class Histogram
{
    private const int Linear = 256;
    private const int SubBuckets = 128;
    private readonly long[] _counts = new long[Linear + 56 * SubBuckets];
    private long _count, _max;

    public long Count => _count;

    private static int Index(long v)
    {
        if (v < Linear) return v < 0 ? 0 : (int)v;
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)v); // >= 8
        return Linear + (msb - 8) * SubBuckets + (int)((v >> (msb - 7)) & (SubBuckets - 1));
    }

    private static long LowerBound(int i)
    {
        if (i < Linear) return i;
        var j = i - Linear;
        var msb = j / SubBuckets + 8;
        return (long)(SubBuckets + j % SubBuckets) << (msb - 7);
    }

    public void Record(long v)
    {
        _counts[Index(v)]++;
        _count++;
        if (v > _max) _max = v;
    }

    public void RecordShared(long v)
    {
        Interlocked.Increment(ref _counts[Index(v)]);
        Interlocked.Increment(ref _count);
        long m;
        while (v > (m = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, v, m) != m) { }
    }

    public void Add(Histogram other)
    {
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        _count += other._count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The p-th percentile (0-100) in milliseconds: the middle of its bucket; the max for 100.</summary>
    public double PercentileMs(double p)
    {
        if (_count == 0) return double.NaN;
        if (p >= 100) return ToMs(_max);
        var rank = Math.Max(1, (long)Math.Ceiling(p / 100 * _count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen < rank) continue;
            var lo = LowerBound(i);
            var hi = i + 1 < _counts.Length ? LowerBound(i + 1) : lo + 1;
            return ToMs(Math.Min(_max, (lo + hi - 1) / 2));
        }
        return ToMs(_max);
    }

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
