#!/usr/bin/env python3
"""results.json of run-bench.sh -> an SVG chart, Python standard library only.

Top: per throughput scenario, one bar per server, its req/s (WebSocket messages/s) relative to Kestrel's (Kestrel =
1.0, the dashed line), the absolute rate written at the bar's end, ActorHttp's target as a red tick and met/MISSED on the right.
Bottom: RSS per idle connection or WebSocket (KB), with the target line. Ratios, not absolute numbers, are what compare
across machines, hence the normalised bars.

Usage: bench_chart.py results.json > results.svg   (bench_report.py calls render() itself)
"""
import datetime
import json
import math
import sys
from xml.sax.saxutils import escape

COLORS = {"ActorHttp": "#2563eb", "Kestrel": "#7c3aed", "nginx": "#059669", "Ceiling": "#94a3b8", "KestrelAsk": "#c084fc"}
MET, MISSED, MUTED, INK, GRID = "#15803d", "#dc2626", "#6b7280", "#111827", "#e5e7eb"
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"

WIDTH = 1100
LABEL_W = 330           # scenario names on the left
PLOT_X = LABEL_W + 10
PLOT_W = 500
VALUE_W = 150           # "29.3k req/s" after the longest possible bar
BADGE_X = PLOT_X + PLOT_W + VALUE_W + 10
BAR_H, BAR_GAP, GROUP_GAP = 15, 4, 22


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, color=INK, anchor="start", weight="normal", style="normal"):
        self.add(f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' fill='{color}' text-anchor='{anchor}' "
                 f"font-weight='{weight}' font-style='{style}' {FONT}>{escape(str(s))}</text>")

    def rect(self, x, y, w, h, color, rx=2, opacity=1.0):
        self.add(f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(w, 0):.1f}' height='{h:.1f}' rx='{rx}' "
                 f"fill='{color}' fill-opacity='{opacity}'/>")

    def line(self, x1, y1, x2, y2, color, width=1.0, dash=None):
        d = f" stroke-dasharray='{dash}'" if dash else ""
        self.add(f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{color}' "
                 f"stroke-width='{width}'{d}/>")


def short(n):
    if n >= 1e6:
        return f"{n / 1e6:.2f}M"
    if n >= 1e3:
        return f"{n / 1e3:.1f}k"
    return f"{n:.0f}"


def truncate(s, n):
    return s if len(s) <= n else s[: n - 1] + "…"


def nice_max(value, step):
    return max(step * 2, math.ceil(value / step) * step)


def badge(svg, y, met):
    if met is None:
        return
    color, label = (MET, "met") if met else (MISSED, "MISSED")
    svg.rect(BADGE_X, y - 13, 70, 20, color, rx=10, opacity=0.12)
    svg.text(BADGE_X + 35, y + 1, label, size=12, color=color, anchor="middle", weight="bold")


def wrap(s, width):
    lines, line = [], ""
    for word in s.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line] if line else lines


def group_label(svg, y, name, entry, target_text):
    svg.text(LABEL_W, y + 2, name, size=14, anchor="end", weight="bold")
    lines = wrap(entry["title"], 50)[:2]
    for i, line in enumerate(lines):
        svg.text(LABEL_W, y + 17 + 13 * i, line, size=11, color=MUTED, anchor="end")
    if target_text:
        svg.text(LABEL_W, y + 17 + 13 * len(lines), target_text, size=11, color=MISSED, anchor="end")


def axis(svg, y_top, y_bottom, xmax, step, fmt, reference=None):
    ticks = int(round(xmax / step))
    for i in range(ticks + 1):
        v = i * step
        x = PLOT_X + PLOT_W * v / xmax
        svg.line(x, y_top, x, y_bottom, GRID)
        svg.text(x, y_bottom + 15, fmt(v), size=11, color=MUTED, anchor="middle")
    if reference is not None:
        x = PLOT_X + PLOT_W * reference / xmax
        svg.line(x, y_top - 4, x, y_bottom, INK, width=1.5, dash="6,4")


def throughput_panel(svg, y, result):
    servers = result["servers"]
    entries = [(n, e) for n, e in result["scenarios"].items() if e["kind"] == "throughput"]
    if not entries:
        return y
    rel = {}
    for name, e in entries:
        base = (e["servers"].get("Kestrel") or {}).get("best")
        for s in servers:
            b = e["servers"][s]["best"]
            rel[(name, s)] = b["rps"] / base["rps"] if b and base and base["rps"] else None
    targets = [e["target"]["min_ratio"] for _, e in entries if e["target"]]
    top = max([v for v in rel.values() if v] + targets + [1.0])
    xmax = nice_max(top * 1.02, 0.5)

    svg.text(24, y, "Throughput relative to Kestrel (longer is better; dashed line: Kestrel = 1.0×)", size=15,
             weight="bold")
    y += 22
    group_h = len(servers) * (BAR_H + BAR_GAP) - BAR_GAP
    y_top = y
    y_bottom = y + len(entries) * (group_h + GROUP_GAP) - GROUP_GAP
    axis(svg, y_top, y_bottom, xmax, 0.5, lambda v: f"{v:.1f}×", reference=1.0)
    for name, e in entries:
        target = e["target"]
        group_label(svg, y + 8, name, e, f"target ≥ {target['min_ratio']:.1f}×" if target else "")
        for i, s in enumerate(servers):
            by = y + i * (BAR_H + BAR_GAP)
            cell = e["servers"][s]
            r = rel[(name, s)]
            if cell["best"] is None:
                svg.rect(PLOT_X, by, 4, BAR_H, MUTED)
                svg.text(PLOT_X + 10, by + BAR_H - 3, f"{s}: n/a, {truncate(cell['reason'] or '', 70)}", size=11,
                         color=MUTED, style="italic")
                continue
            w = PLOT_W * min(r, xmax) / xmax if r else 0
            svg.rect(PLOT_X, by, w, BAR_H, COLORS.get(s, MUTED))
            value = f"{short(cell['best']['rps'])} {e.get('unit', 'req/s')}"
            label_x = PLOT_X + w
            if s == "ActorHttp" and e["ratio_vs_kestrel"]:
                value += f"  {e['ratio_vs_kestrel']:.2f}×"  # the table's figure, rounded the same way
            if s == "ActorHttp" and target:
                tx = PLOT_X + PLOT_W * target["min_ratio"] / xmax
                svg.line(tx, by - 3, tx, by + BAR_H + 3, MISSED, width=3)
                label_x = max(label_x, tx + 2)  # never write across the target tick
            svg.text(label_x + 6, by + BAR_H - 3, value, size=11, weight="bold" if s == "ActorHttp" else "normal")
        badge(svg, y + group_h / 2 + 4, e["met"])
        y += group_h + GROUP_GAP
    return y_bottom + 30


def memory_panel(svg, y, result):
    servers = result["servers"]
    entries = [(n, e) for n, e in result["scenarios"].items() if e["kind"] == "memory"]
    if not entries:
        return y
    svg.text(24, y, "Memory per idle connection (keep-alive or WebSocket), KB of RSS (shorter is better)", size=15,
             weight="bold")
    y += 22
    group_h = len(servers) * (BAR_H + BAR_GAP) - BAR_GAP
    for name, e in entries:
        values = [e["servers"][s]["best"]["kb_per_conn"] for s in servers if e["servers"][s]["best"]]
        limit = (e["target"] or {}).get("max_kb_per_conn")
        top = max(values + ([limit] if limit else []) + [1.0])
        step = 5 if top <= 40 else 10 if top <= 100 else 50
        xmax = nice_max(top * 1.05, step)
        axis(svg, y, y + group_h, xmax, step, lambda v: f"{v:g} KB")
        group_label(svg, y + 8, name, e, f"target ≤ {limit:g} KB" if limit else "")
        for i, s in enumerate(servers):
            by = y + i * (BAR_H + BAR_GAP)
            cell = e["servers"][s]
            if cell["best"] is None:
                svg.rect(PLOT_X, by, 4, BAR_H, MUTED)
                svg.text(PLOT_X + 10, by + BAR_H - 3, f"{s}: n/a, {truncate(cell['reason'] or '', 70)}", size=11,
                         color=MUTED, style="italic")
                continue
            kb = cell["best"]["kb_per_conn"]
            w = PLOT_W * max(kb, 0) / xmax
            svg.rect(PLOT_X, by, w, BAR_H, COLORS.get(s, MUTED))
            svg.text(PLOT_X + w + 6, by + BAR_H - 3, f"{kb:.1f} KB", size=11,
                     weight="bold" if s == "ActorHttp" else "normal")
        if limit:
            tx = PLOT_X + PLOT_W * limit / xmax
            svg.line(tx, y - 4, tx, y + group_h + 4, MISSED, width=2, dash="4,3")
        badge(svg, y + group_h / 2 + 4, e["met"])
        y += group_h + 40
    return y


def legend(svg, y, servers):
    x = 24
    for s in servers:
        svg.rect(x, y - 11, 14, 14, COLORS.get(s, MUTED))
        svg.text(x + 20, y, s, size=12)
        x += 40 + 8 * len(s)
    svg.line(x, y - 4, x + 26, y - 4, INK, width=1.5, dash="6,4")
    svg.text(x + 32, y, "Kestrel = 1.0×", size=12)
    x += 140
    svg.line(x + 6, y - 12, x + 6, y + 3, MISSED, width=3)
    svg.text(x + 16, y, "ActorHttp's target", size=12)


def render(result):
    meta = result.get("meta", {})
    body = Svg()
    stamp = result.get("timestamp", datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    others = [s for s in result["servers"] if s != "ActorHttp"]
    body.text(24, 34, f"ActorHttp vs {', '.join(others) or 'nothing'}, HTTP/1.1 on 127.0.0.1", size=22, weight="bold")
    body.text(24, 56, f"best of {meta.get('repetitions', '?')} repetition(s), {meta.get('duration_s', '?')} s per wrk "
                      f"scenario, {meta.get('cores', '?')} cores shared by server and load tool · commit "
                      f"{meta.get('git_commit', '?')} · load average {meta.get('loadavg_before', '?')} · {stamp}",
              size=12, color=MUTED)
    legend(body, 84, result["servers"])
    y = throughput_panel(body, 122, result)
    y = memory_panel(body, y + 10, result)
    height = int(y + 10)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
            f"viewBox='0 0 {WIDTH} {height}'>\n<rect width='100%' height='100%' fill='white'/>\n"
            + "\n".join(body.parts) + "\n</svg>\n")


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        sys.stdout.write(render(json.load(f)))
