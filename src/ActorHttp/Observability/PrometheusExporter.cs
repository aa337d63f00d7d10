using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace ActorHttp.Observability;

/// <summary>
/// Listens to the <c>ActorHttp</c> meter and renders its figures in the Prometheus text format (version 0.0.4):
/// counters as <c>_total</c>, up-down counters as gauges, histograms with cumulative buckets. Small on purpose:
/// it serves the <c>/metrics</c> route; for anything richer, attach an OpenTelemetry exporter to the meter.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly Lazy<PrometheusExporter> SharedInstance = new(() => new PrometheusExporter());

    private sealed class Series(string labels, bool histogram)
    {
        public readonly string Labels = labels;
        public long Sum;                  // counters and gauges
        public double HistogramSum;
        public long Count;
        public readonly long[]? BucketCounts = histogram ? new long[Buckets.Length] : null;
    }

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, Series>> _series = new();

    // Hot path: measurements find their series by instrument and tag values (no string built, nothing allocated);
    // the label text is made once, when a series is first seen. The server's instruments carry at most three tags.
    private readonly ConcurrentDictionary<(Instrument, object?, object?, object?), Series> _byValues = new();

    /// <summary>The exporter shared by every <c>/metrics</c> route in the process (started on first use).</summary>
    public static PrometheusExporter Shared => SharedInstance.Value;

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HttpMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var series = Get(instrument, tags, histogram: false);
            Interlocked.Add(ref series.Sum, value);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var series = Get(instrument, tags, histogram: true);
            lock (series)
            {
                series.HistogramSum += value;
                series.Count++;
                for (var i = 0; i < Buckets.Length; i++)
                    if (value <= Buckets[i]) series.BucketCounts![i]++;
            }
        });
        _listener.Start();
    }

    private Series Get(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags, bool histogram)
    {
        if (tags.Length > 3) return GetByLabels(instrument, tags, histogram);
        var key = (instrument, tags.Length > 0 ? tags[0].Value : null, tags.Length > 1 ? tags[1].Value : null, tags.Length > 2 ? tags[2].Value : null);
        if (_byValues.TryGetValue(key, out var known)) return known;
        var series = GetByLabels(instrument, tags, histogram);
        _byValues.TryAdd(key, series);
        return series;
    }

    private Series GetByLabels(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags, bool histogram)
    {
        var labels = Labels(tags);
        var byLabels = _series.GetOrAdd(instrument, _ => new ConcurrentDictionary<string, Series>());
        return byLabels.TryGetValue(labels, out var series) ? series : byLabels.GetOrAdd(labels, l => new Series(l, histogram));
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty) return "";
        var text = new StringBuilder();
        foreach (var (key, value) in tags)
        {
            if (text.Length > 0) text.Append(',');
            var escaped = Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
            text.Append(key.Replace('.', '_')).Append("=\"").Append(escaped).Append('"');
        }
        return text.ToString();
    }

    /// <summary>The current figures in the Prometheus text format.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var (instrument, byLabels) in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal))
        {
            var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : instrument.Unit == "By" ? "_bytes" : "");
            var type = instrument switch
            {
                Histogram<double> => "histogram",
                UpDownCounter<long> => "gauge",
                _ => "counter",
            };
            if (type == "counter") name += "_total";
            text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var series in byLabels.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
            {
                if (type != "histogram")
                {
                    text.Append(name).Append(Braces(series.Labels)).Append(' ').Append(Interlocked.Read(ref series.Sum)).Append('\n');
                    continue;
                }
                lock (series)
                {
                    for (var i = 0; i < Buckets.Length; i++)
                        text.Append(name).Append("_bucket").Append(Braces(Join(series.Labels, $"le=\"{Buckets[i].ToString(CultureInfo.InvariantCulture)}\"")))
                            .Append(' ').Append(series.BucketCounts![i]).Append('\n');
                    text.Append(name).Append("_bucket").Append(Braces(Join(series.Labels, "le=\"+Inf\""))).Append(' ').Append(series.Count).Append('\n');
                    text.Append(name).Append("_sum").Append(Braces(series.Labels)).Append(' ').Append(series.HistogramSum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                    text.Append(name).Append("_count").Append(Braces(series.Labels)).Append(' ').Append(series.Count).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

    private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    public void Dispose() => _listener.Dispose();
}
