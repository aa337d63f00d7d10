#!/usr/bin/env python3
"""The soak's verdict (run-soak.sh): a table of the samples, whether memory and the actor count stayed level,
soak.json and soak.svg. Python standard library only.

The load rotates through a mix of scenarios, and the RSS after each depends on the scenario (a connection per request
leaves more garbage than keep-alive), so memory is compared cycle against cycle: the samples after the warm-up fall
into cycles of one segment per scenario; memory is steady when the median RSS of the last complete cycle exceeds the
first cycle's by at most 10% or 16 MB, whichever is larger. The heap settles into its working size; a leak keeps
climbing from cycle to cycle.
Actors are steady when the last sample (after 10 s idle) has exactly the warm-up sample's count, and no sample
taken after a segment (2 s idle) is more than TRANSIENT_ACTORS above it (an actor still stopping).

Usage: soak_report.py --samples soak.tsv --out DIR [--meta key=value ...]
"""
import argparse
import csv
import json
import os
import statistics
import sys

MEMORY_GROWTH_SHARE = 0.10
MEMORY_GROWTH_FLOOR_KB = 16 * 1024
TRANSIENT_ACTORS = 5


def to_int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def read_samples(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    samples = []
    for r in rows:
        user, system = to_int(r["actors_user"]), to_int(r["actors_system"])
        samples.append({
            "t_s": to_int(r["t_s"]), "segment": to_int(r["segment"]), "scenario": r["scenario"],
            "rps": to_int(r["rps"]), "socket_errors": to_int(r["errors"]), "rss_kb": to_int(r["rss_kb"]),
            "actors_user": user, "actors_system": system,
            "actors": user + system if user is not None and system is not None else None,
            "open_fds": to_int(r["open_fds"]),
        })
    return samples


def cycles(samples, mix_length):
    """The load samples (after the warm-up sample, before the final idle one) in complete cycles of mix_length."""
    load = [s for s in samples[1:] if s["scenario"] != "idle"]
    return [load[i:i + mix_length] for i in range(0, len(load) - mix_length + 1, mix_length)]


def verdict(samples, mix_length):
    """{"memory": {...}, "actors": {...}, "steady": bool or None}: see the module's doc."""
    result = {"memory": {"steady": None, "detail": "fewer than two complete cycles of the mix: run longer"},
              "actors": {"steady": None, "detail": "too few samples"}, "steady": None}
    full = [c for c in cycles(samples, mix_length) if all(s["rss_kb"] is not None for s in c)]
    if len(full) >= 2:
        medians = [statistics.median(s["rss_kb"] for s in c) for c in full]
        first, last = medians[0], medians[-1]
        allowed = max(first * MEMORY_GROWTH_SHARE, MEMORY_GROWTH_FLOOR_KB)
        result["memory"] = {"steady": last - first <= allowed, "cycle_median_rss_kb": medians,
                            "allowed_growth_kb": round(allowed),
                            "detail": f"median RSS per cycle of {mix_length} segments: "
                                      + ", ".join(f"{m / 1024:.1f}" for m in medians)
                                      + f" MB ({(last - first) / 1024:+.1f} MB first to last; up to "
                                        f"{allowed / 1024:.1f} MB allowed)"}
    counts = [s["actors"] for s in samples]
    if len(samples) >= 2 and counts[0] is not None and counts[-1] is not None:
        baseline, final = counts[0], counts[-1]
        peak = max(c for c in counts[1:] if c is not None)
        failed = counts.count(None)
        result["actors"] = {"steady": final == baseline and peak - baseline <= TRANSIENT_ACTORS,
                            "baseline": baseline, "final": final, "peak_idle": peak, "failed_censuses": failed,
                            "detail": f"{baseline} live actors after warm-up, {final} at the end, at most {peak} "
                                      f"2 s after a segment" + (f" ({failed} census(es) failed)" if failed else "")}
    elif None in counts:
        result["actors"]["detail"] = "the first or the last census failed (see the samples)"
    parts = [result["memory"]["steady"], result["actors"]["steady"]]
    # GROWING on either side decides; otherwise a missing verdict leaves the whole undecided.
    result["steady"] = False if False in parts else (None if None in parts else True)
    return result


def fmt(v, unit=""):
    return "-" if v is None else f"{v:,}{unit}"


def print_report(samples, v, meta):
    print()
    print(f"ActorHttp soak: {meta.get('minutes', '?')} min of load in {meta.get('segment_s', '?')}-s segments, "
          f"{meta.get('cores', '?')} cores, 127.0.0.1 only; each sample 2 s after its segment")
    header = ("t", "segment", "scenario", "req/s", "sock err", "RSS", "actors", "(user+system)", "fds")
    rows = [header]
    for s in samples:
        rows.append((f"{s['t_s']}s", str(s["segment"]), s["scenario"], fmt(s["rps"]), fmt(s["socket_errors"]),
                     f"{s['rss_kb'] / 1024:.1f} MB" if s["rss_kb"] else "-", fmt(s["actors"]),
                     f"{fmt(s['actors_user'])}+{fmt(s['actors_system'])}", fmt(s["open_fds"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join(c.rjust(w) if j not in (2,) else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for key in ("memory", "actors"):
        steady = v[key]["steady"]
        word = "n/a" if steady is None else ("steady" if steady else "GROWING")
        print(f"  {word:8} {key}: {v[key]['detail']}")


def render_svg(samples):
    """Two lines over time: RSS (MB, left scale) and live actors (right scale)."""
    w, h, left, right, top, bottom = 760, 300, 60, 60, 30, 40
    pts = [s for s in samples if s["t_s"] is not None]
    if len(pts) < 2:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    t_max = max(s["t_s"] for s in pts) or 1
    rss = [s["rss_kb"] / 1024 for s in pts if s["rss_kb"]]
    act = [s["actors"] for s in pts if s["actors"] is not None]
    rss_max = max(rss) * 1.2 if rss else 1
    act_max = max(act) * 1.2 if act else 1

    def x(t):
        return left + (w - left - right) * t / t_max

    def y(v, vmax):
        return top + (h - top - bottom) * (1 - v / vmax)

    def line(key, vmax, scale, color):
        coords = " ".join(f"{x(s['t_s']):.1f},{y(s[key] * scale, vmax):.1f}" for s in pts if s[key] is not None)
        return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>'

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">ActorHttp soak: memory and live actors over time</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="#999"/>',
           line("rss_kb", rss_max, 1 / 1024, "#1f77b4"), line("actors", act_max, 1, "#d62728"),
           f'<text x="{left - 5}" y="{top + 4}" text-anchor="end" fill="#1f77b4">{rss_max:.0f} MB</text>',
           f'<text x="{left - 5}" y="{h - bottom}" text-anchor="end" fill="#1f77b4">0</text>',
           f'<text x="{w - right + 5}" y="{top + 4}" fill="#d62728">{act_max:.0f} actors</text>',
           f'<text x="{w - right + 5}" y="{h - bottom}" fill="#d62728">0</text>',
           f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">time (s), 0 to {t_max}</text>',
           '</svg>']
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="run-soak.sh report")
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--meta", nargs="*", default=[])
    args = ap.parse_args(argv)
    meta = dict(kv.split("=", 1) for kv in args.meta if "=" in kv)
    samples = read_samples(args.samples)
    v = verdict(samples, int(meta.get("mix_length", "9")))
    print_report(samples, v, meta)
    with open(os.path.join(args.out, "soak.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "verdict": v, "samples": samples}, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "soak.svg"), "w", encoding="utf-8") as f:
        f.write(render_svg(samples))
    print(f"\nresults: {os.path.join(args.out, 'soak.json')}, soak.svg, soak.tsv")
    return 0 if v["steady"] is not False else 1


if __name__ == "__main__":
    sys.exit(main())
