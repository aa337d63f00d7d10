#!/usr/bin/env python3
"""Turns the raw output of run-bench.sh into the results table, results.json and results.svg.

Input: the manifest run-bench.sh writes, one line per measurement:
    scenario <TAB> server <TAB> repetition <TAB> kind <TAB> file (kind wrk, httperf, memory, socketload) or reason (na)
Per scenario and server the best repetition counts (most req/s or messages/s; least memory per connection). Ratios
are ActorHttp / Kestrel and ActorHttp / nginx, and, for the throughput scenarios, ActorHttp / Ceiling (the share of the
transport ceiling reached) and ActorHttp / KestrelAsk (against Kestrel with an actor Ask per request). Python standard
library only.

Usage: bench_report.py --manifest FILE --out DIR [--meta key=value ...]
"""
import argparse
import datetime
import json
import os
import re
import sys

SERVERS = ["ActorHttp", "Kestrel", "nginx", "Ceiling", "KestrelAsk"]
SUBJECT, YARDSTICK = "ActorHttp", "Kestrel"
# ActorHttp's figure over each other server's, in results.json as entry[key] and in the table as column /server.
# Ceiling: the transport ceiling (Ceiling.Yardstick, ActorHttp's shape without HTTP work); KestrelAsk: Kestrel.Yardstick
# --ask (/plaintext through an actor's Ask). Both run the plaintext scenarios only; the memory table has no column
# for them.
RATIOS = {"Kestrel": "ratio_vs_kestrel", "nginx": "ratio_vs_nginx", "Ceiling": "ratio_vs_ceiling",
          "KestrelAsk": "ratio_vs_kestrelask"}
MEMORY_RATIOS = ("Kestrel", "nginx")

# Every scenario, in report order. target: what ActorHttp has to reach in this run.
#   min_ratio: req/s ActorHttp / Kestrel at least this; zero_socket_errors / no_stall: in every repetition.
#   max_kb_per_conn: RSS growth per idle connection at most this.
SCENARIOS = {
    "plaintext": {"title": "Keep-alive plaintext, 64 connections, 13-byte body", "target": {"min_ratio": 1.1}},
    "pipelined16": {"title": "Pipelined, 16 requests per write, 64 connections", "target": {"min_ratio": 1.5}},
    "conns1000": {"title": "1,000 keep-alive connections",
                  "target": {"min_ratio": 1.0, "zero_socket_errors": True}},
    "conns4000": {"title": "4,000 keep-alive connections",
                  "target": {"min_ratio": 1.0, "zero_socket_errors": True}},
    "close": {"title": "New connection per request (Connection: close), 32 clients", "target": {"min_ratio": 1.0}},
    "httperf13": {"title": "One connection, 500 sequential requests, 13-byte body (httperf)",
                  "target": {"min_ratio": 1.0, "no_stall": True}},
    "httperf10k": {"title": "One connection, 500 sequential requests, 10,000-byte body (httperf)",
                   "target": {"min_ratio": 1.0, "no_stall": True}},
    "static10k": {"title": "10 KB static file, 64 connections", "target": None},
    "static10kgz": {"title": "10 KB static text, gzip, 64 connections", "target": None},
    "echo4k": {"title": "Echo of a 4 KB POST body, 64 connections", "target": None},
    "idle5000": {"title": "5,000 idle keep-alive connections, one request made on each", "kind": "memory",
                 "target": {"max_kb_per_conn": 4.0}},
    # WebSockets (SocketLoad ws-echo; idle_conns.py --websocket): no target yet, the ratio to Kestrel is the figure.
    "wsecho": {"title": "WebSocket echo, 64 connections, 32-byte text, one message in flight each", "unit": "msgs/s",
               "target": None},
    "wsecho16": {"title": "WebSocket echo, 64 connections, 32-byte text, 16 messages in flight each", "unit": "msgs/s",
                 "target": None},
    "wsidle10k": {"title": "10,000 idle WebSockets on /ws/echo", "kind": "memory", "target": None},
}

# ssefanout: ActorHttp alone (Kestrel has no counter entity): a counter's event stream, 1,000 subscribers.
SSE = {"title": "Server-sent events: 1,000 subscribers to /counters/{id}/events, one driver POSTing /counters/{id}, "
                "ActorHttp alone (Kestrel has no counter entity)"}

# cluster2: ActorHttp alone, sharded POST /counters/{id}; manifest scenarios counters1 / counters2 (peak) and
# counters1half / counters2half (paced to half of that peak), all with server ActorHttp.
CLUSTER = {"title": "Sharded /counters/{id}: requests to node 1 of two nodes vs one node",
           "target": {"min_share": 0.4, "max_half_load_p99_ms": 5.0}}
CLUSTER_RUNS = {"counters1": "1 node, peak", "counters1half": "1 node, half load",
                "counters2": "2 nodes, peak", "counters2half": "2 nodes, half load"}

# persist2: the same POSTs on durable counters (the default SQLite store, one file shared by the nodes), peak only;
# manifest scenarios pcounters1 / pcounters2, server ActorHttp. Beside the stateless figures of cluster2.
DURABLE = {"title": "Durable /counters/{id} (events in SQLite, one file for the nodes) beside the stateless ones (cluster2)"}
DURABLE_RUNS = {"pcounters1": "1 node, SQLite", "pcounters2": "2 nodes, one SQLite file"}

UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


# ---- parsers: raw tool output -> dict (pure functions, tested by test_bench_report.py) ---------

def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else None


def parse_wrk(text):
    r = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None,
         "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}, "non_2xx_3xx": 0}
    if m := re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M):
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)", text, re.M):
            r[key] = to_ms(m.group(1))
    if r["p99_ms"] is not None and r["p50_ms"] and r["p99_ms"] < r["p50_ms"]:
        r["p99_ms"] = None  # wrk prints "99% 0.00us" when its histogram overflows (seen with pipelining)
    if m := re.search(r"^\s+(\d+) requests in", text, re.M):
        r["requests"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        r["non_2xx_3xx"] = int(m.group(1))
    r["socket_error_count"] = sum(r["socket_errors"].values())
    r["errors"] = r["socket_error_count"] + r["non_2xx_3xx"]
    r["ok"] = r["rps"] is not None and bool(r["requests"])
    if not r["ok"]:
        r["reason"] = "wrk gave no result"
    return r


def parse_httperf(text, calls, stall_ms_per_call):
    r = {"rps": None, "p50_ms": None, "p99_ms": None, "mean_reply_ms": None, "duration_s": None,
         "replies": 0, "non_2xx": 0, "errors": 0, "stalled": False}
    if m := re.search(r"^Request rate: ([\d.]+) req/s", text, re.M):
        r["rps"] = float(m.group(1))
    if m := re.search(r"^Total: connections \d+ requests (\d+) replies (\d+) test-duration ([\d.]+) s", text, re.M):
        r["replies"], r["duration_s"] = int(m.group(2)), float(m.group(3))
    if m := re.search(r"^Reply status: 1xx=(\d+) 2xx=(\d+) 3xx=(\d+) 4xx=(\d+) 5xx=(\d+)", text, re.M):
        counts = list(map(int, m.groups()))
        r["non_2xx"] = sum(counts) - counts[1]
    if m := re.search(r"^Errors: total (\d+)", text, re.M):
        r["errors"] = int(m.group(1))
    r["errors"] += r["non_2xx"] + max(0, calls - r["replies"])  # a missing reply is an error too
    # Sequential calls on one connection: the mean time per request is the duration over the replies
    # (httperf's own "Reply time" line has a 0.1 ms resolution, too coarse here).
    if r["duration_s"] and r["replies"]:
        r["mean_reply_ms"] = r["duration_s"] * 1000 / r["replies"]
    # A delayed-ACK or Nagle stall costs ~40 ms per request: 500 requests taking that long means it happened.
    r["stalled"] = r["duration_s"] is not None and r["duration_s"] * 1000 >= stall_ms_per_call * calls
    r["ok"] = r["rps"] is not None and r["replies"] > 0
    if not r["ok"]:
        r["reason"] = "httperf gave no result"
    return r


def parse_memory(text):
    kv = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    r = {k: int(v) for k, v in kv.items() if v.strip().lstrip("-").isdigit()}
    r["failures"] = kv.get("failures", "").strip()  # "failed <n>: <cause>" lines of idle_conns.py, joined by ";"
    opened = r.get("opened", 0)
    r["errors"] = r.get("failed", 0)
    r["kb_per_conn"] = round((r["rss_after_kb"] - r["rss_before_kb"]) / opened, 2) if opened else None
    r["ok"] = r["kb_per_conn"] is not None
    if not r["ok"]:
        r["reason"] = "no idle connection could be opened"
    return r


def parse_socketload(text):
    """SocketLoad's "key=value" lines (ws-echo or sse-fanout). The rate is msgs_per_s (ws-echo) or updates_per_s
    (sse-fanout, updates delivered over all subscribers), as "rps" so that best-of and ratios treat it like req/s."""
    kv = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))

    def num(key):
        try:
            v = float(kv[key])
            return None if v != v else v  # "NaN": no latency was recorded
        except (KeyError, ValueError):
            return None
    r = {k: num(k) for k in ("msgs_per_s", "updates_per_s", "posts_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms",
                             "post_p50_ms", "post_p99_ms", "client_cpu_pct", "client_alloc_bytes_per_msg")}
    r["rps"] = r["msgs_per_s"] if r["msgs_per_s"] is not None else r["updates_per_s"]
    for key in ("messages", "delivered", "expected", "posts", "connections", "pipeline", "subscribers",
                "skipped_values", "failed_subscribers"):
        if key in kv and kv[key].strip().isdigit():
            r[key] = int(kv[key])
    r["errors"] = int(kv["errors"]) if kv.get("errors", "").strip().isdigit() else 0
    r["failures"] = "; ".join(line.split("=", 1)[1] for line in text.splitlines() if line.startswith("failure="))
    r["ok"] = bool(r["rps"])
    if not r["ok"]:
        r["reason"] = (kv.get("skipped") or kv.get("error") or "SocketLoad gave no result").strip()
    return r


def parse_run(kind, path_or_reason, meta):
    if kind == "na":
        return {"ok": False, "na": True, "reason": path_or_reason}
    try:
        with open(path_or_reason, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return {"ok": False, "reason": f"cannot read {path_or_reason}: {e.strerror}"}
    if kind == "wrk":
        r = parse_wrk(text)
    elif kind == "httperf":
        r = parse_httperf(text, int(meta.get("httperf_calls", 500)), float(meta.get("stall_ms_per_call", 40)))
    elif kind == "socketload":
        r = parse_socketload(text)
    else:
        r = parse_memory(text)
    r["raw"] = path_or_reason
    return r


# ---- aggregation ------------------------------------------------------------------------------

def best_run(runs, memory):
    ok = [r for r in runs if r["ok"]]
    if not ok:
        return None
    return min(ok, key=lambda r: r["kb_per_conn"]) if memory else max(ok, key=lambda r: r["rps"])


def ratio(a, b, key):
    return round(a[key] / b[key], 3) if a and b and a.get(key) and b.get(key) else None


def judge(spec, entry, runs_of_subject):
    """Returns (met: bool or None, detail: str) for ActorHttp's target in this scenario."""
    target = spec["target"]
    if not target:
        return None, ""
    best = entry["servers"].get(SUBJECT, {}).get("best")
    if best is None:
        return None, "no ActorHttp result"
    if "max_kb_per_conn" in target:
        return best["kb_per_conn"] <= target["max_kb_per_conn"], f"{best['kb_per_conn']:.1f} KB/conn"
    r = entry["ratio_vs_kestrel"]
    if r is None:
        return None, "no Kestrel result"
    met, notes = r >= target["min_ratio"], [f"{r:.2f}x"]
    ok_runs = [x for x in runs_of_subject if x["ok"]]
    if target.get("zero_socket_errors"):
        errs = sum(x.get("socket_error_count", 0) for x in ok_runs)
        met &= errs == 0
        notes.append(f"{errs} socket errors in {len(ok_runs)} run(s)")
    if target.get("no_stall"):
        stalls = sum(1 for x in ok_runs if x.get("stalled"))
        met &= stalls == 0
        notes.append("no stall" if stalls == 0 else f"{stalls} stalled run(s)")
    return met, ", ".join(notes)


def target_text(target):
    if not target:
        return "-"
    if "max_kb_per_conn" in target:
        return f"<= {target['max_kb_per_conn']:g} KB/conn"
    extra = [" 0 sock err" if target.get("zero_socket_errors") else "", " no stall" if target.get("no_stall") else ""]
    return f">= {target['min_ratio']:.1f}x" + ",".join(e for e in extra if e)


def aggregate(runs, meta):
    wanted = meta.get("scenarios", ",".join(SCENARIOS)).split(",")
    servers = [s for s in SERVERS if s in meta.get("servers", ",".join(SERVERS)).split(",")]
    scenarios = {}
    for name, spec in SCENARIOS.items():
        if name not in wanted:
            continue
        memory = spec.get("kind") == "memory"
        entry = {"title": spec["title"], "kind": "memory" if memory else "throughput",
                 "unit": spec.get("unit", "KB/conn" if memory else "req/s"), "target": spec["target"], "servers": {}}
        for srv in servers:
            mine = [r for r in runs if r["scenario"] == name and r["server"] == srv]
            best = best_run(mine, memory)
            reasons = sorted({r["reason"] for r in mine if not r["ok"] and r.get("reason")})
            entry["servers"][srv] = {"best": best, "status": "ok" if best else "n/a",
                                     "reason": None if best else ("; ".join(reasons) or "not run")}
        key = "kb_per_conn" if memory else "rps"
        best_of = {s: entry["servers"].get(s, {}).get("best") for s in SERVERS}
        for srv, field in RATIOS.items():
            entry[field] = ratio(best_of[SUBJECT], best_of[srv], key)
        subject_runs = [r for r in runs if r["scenario"] == name and r["server"] == SUBJECT]
        entry["met"], entry["target_detail"] = judge(spec, entry, subject_runs)
        scenarios[name] = entry
    return scenarios, servers


def aggregate_cluster(runs, meta):
    """The cluster2 entry: best of each of CLUSTER_RUNS, the 2-node / 1-node throughput share and the target."""
    if "cluster2" not in meta.get("scenarios", "cluster2").split(","):
        return None
    entry = {"title": CLUSTER["title"], "target": CLUSTER["target"], "runs": best_runs(runs, CLUSTER_RUNS)}
    best = {name: cell["best"] for name, cell in entry["runs"].items()}
    entry["share_of_single_node"] = ratio(best["counters2"], best["counters1"], "rps")
    half = best["counters2half"]
    target = CLUSTER["target"]
    if entry["share_of_single_node"] is None or half is None or half.get("p99_ms") is None:
        missing = [n for n in ("counters1", "counters2", "counters2half") if best[n] is None]
        entry["met"] = None
        entry["target_detail"] = f"missing: {', '.join(missing)}" if missing else "no p99 at half load"
    else:
        errors = sum(b["errors"] for b in best.values() if b)
        entry["met"] = (entry["share_of_single_node"] >= target["min_share"]
                        and half["p99_ms"] < target["max_half_load_p99_ms"] and errors == 0)
        entry["target_detail"] = (f"{entry['share_of_single_node']:.2f}x of 1 node, p99 {fmt_lat(half['p99_ms'])} at "
                                  f"{half['rps']:,.0f} req/s, {errors} errors")
    return entry


def best_runs(runs, names):
    """{name: {"best": ActorHttp's best run or None, "reason": why there is none}} for each of names."""
    cells = {}
    for name in names:
        mine = [r for r in runs if r["scenario"] == name and r["server"] == SUBJECT]
        best = best_run(mine, memory=False)
        reasons = sorted({r["reason"] for r in mine if not r["ok"] and r.get("reason")})
        cells[name] = {"best": best, "reason": None if best else ("; ".join(reasons) or "not run")}
    return cells


def aggregate_durable(runs, meta):
    """The persist2 entry: the durable runs' best, each with its share of the stateless run on as many nodes."""
    if "persist2" not in meta.get("scenarios", "persist2").split(","):
        return None
    entry = {"title": DURABLE["title"], "runs": best_runs(runs, DURABLE_RUNS)}
    memory = best_runs(runs, ["counters1", "counters2"])
    for name, cell in entry["runs"].items():
        cell["share_of_in_memory"] = ratio(cell["best"], memory[name[1:]]["best"], "rps")
    return entry


def aggregate_sse(runs, meta):
    """The ssefanout entry: ActorHttp's best run, or why there is none."""
    if "ssefanout" not in meta.get("scenarios", "ssefanout").split(","):
        return None
    mine = [r for r in runs if r["scenario"] == "ssefanout" and r["server"] == SUBJECT]
    best = best_run(mine, memory=False)
    reasons = sorted({r["reason"] for r in mine if not r["ok"] and r.get("reason")})
    if SUBJECT not in meta.get("servers", SUBJECT).split(","):
        reasons = reasons or [f"{SUBJECT} is not among the servers (--servers)"]
    return {"title": SSE["title"], "best": best, "reason": None if best else ("; ".join(reasons) or "not run")}


def cluster_target_text():
    t = CLUSTER["target"]
    return f">= {t['min_share']:.0%} of 1 node, p99 < {t['max_half_load_p99_ms']:g}ms at half"


# ---- text report ------------------------------------------------------------------------------

def fmt_lat(ms):
    if ms is None:
        return "-"
    if ms < 1:
        return f"{ms * 1000:.0f}us"
    return f"{ms:.2f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def fmt_result(met):
    return "" if met is None else ("met" if met else "MISSED")


def print_table(rows, right_from, right_count=6):
    """Columns right_from .. right_from + right_count - 1 (the figures) right-aligned, the others left-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        cells = [c.rjust(w) if right_from <= j < right_from + right_count else c.ljust(w)
                 for j, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def throughput_rows(scenarios, servers):
    rows = [("scenario", "server", "req/s", "p50", "p99", "errors") + tuple(f"/{s}" for s in RATIOS)
            + ("target", "result")]
    notes = []
    for name, e in scenarios.items():
        if e["kind"] != "throughput":
            continue
        for i, srv in enumerate(servers):
            cell = e["servers"][srv]
            b = cell["best"]
            first = i == 0
            label = name if first else ""
            subject = srv == SUBJECT
            tail = (tuple(fmt_ratio(e[field]) for field in RATIOS.values())
                    + (target_text(e["target"]), fmt_result(e["met"])) if subject else ("",) * (len(RATIOS) + 2))
            if b is None:
                rows.append((label, srv, "n/a", "-", "-", "-") + tail)
                notes.append(f"{name}/{srv}: n/a: {cell['reason']}")
                continue
            p50 = fmt_lat(b["p50_ms"]) if b.get("p50_ms") is not None else (
                f"{fmt_lat(b['mean_reply_ms'])}*" if b.get("mean_reply_ms") is not None else "-")
            errors = str(b["errors"]) + (" STALL" if b.get("stalled") else "")
            rows.append((label, srv, f"{b['rps']:,.0f}", p50, fmt_lat(b.get("p99_ms")), errors) + tail)
    return rows, notes


def memory_rows(scenarios, servers):
    rows = [("scenario", "server", "KB/conn", "RSS before", "RSS after", "failed") + tuple(f"/{s}" for s in MEMORY_RATIOS)
            + ("target", "result")]
    notes = []
    for name, e in scenarios.items():
        if e["kind"] != "memory":
            continue
        for i, srv in enumerate(servers):
            cell = e["servers"][srv]
            b = cell["best"]
            subject = srv == SUBJECT
            tail = (tuple(fmt_ratio(e[RATIOS[s]]) for s in MEMORY_RATIOS)
                    + (target_text(e["target"]), fmt_result(e["met"])) if subject else ("",) * (len(MEMORY_RATIOS) + 2))
            label = name if i == 0 else ""
            if b is None:
                rows.append((label, srv, "n/a", "-", "-", "-") + tail)
                notes.append(f"{name}/{srv}: n/a: {cell['reason']}")
                continue
            rows.append((label, srv, f"{b['kb_per_conn']:.1f}", f"{b['rss_before_kb'] / 1024:.1f} MB",
                         f"{b['rss_after_kb'] / 1024:.1f} MB", str(b["failed"])) + tail)
    return rows, notes


def print_cluster(cluster, labels=CLUSTER_RUNS):
    print()
    print(cluster["title"] + " (wrk -t1 -c64, random ids of 10,000)")
    durable = labels is DURABLE_RUNS
    rows = [("cluster run", "req/s", "p50", "p99", "errors") + (("/stateless",) if durable else ())]
    notes = []
    for name, label in labels.items():
        cell = cluster["runs"][name]
        b = cell["best"]
        if b is None:
            rows.append((label, "n/a", "-", "-", "-") + (("-",) if durable else ()))
            notes.append(f"{label}: n/a: {cell['reason']}")
        else:
            share = cell.get("share_of_in_memory")
            rows.append((label, f"{b['rps']:,.0f}", fmt_lat(b["p50_ms"]), fmt_lat(b.get("p99_ms")), str(b["errors"]))
                        + ((f"{share:.2f}x" if share is not None else "-",) if durable else ()))
    print_table(rows, 1)
    for n in notes:
        print("  " + n)


def print_sse(sse):
    print()
    print(sse["title"])
    b = sse["best"]
    if b is None:
        print(f"  n/a: {sse['reason']}")
        return
    rows = [("updates/s delivered", "POSTs/s", "delivered/expected", "p50", "p99", "max", "errors"),
            (f"{b['rps']:,.0f}", f"{b['posts_per_s'] or 0:,.0f}", f"{b.get('delivered', 0):,}/{b.get('expected', 0):,}",
             fmt_lat(b.get("p50_ms")), fmt_lat(b.get("p99_ms")), fmt_lat(b.get("max_ms")), str(b["errors"]))]
    print_table(rows, 0)
    print("  latency: from the POST's send to a subscriber's event with its value, over every subscriber")
    if b.get("failures"):
        print(f"  {b['failures']}")


def client_notes(scenarios):
    """How much CPU the WebSocket load client took: it shares the cores with the server, as wrk does."""
    notes = []
    for name, e in scenarios.items():
        cpu = [f"{srv} {cell['best']['client_cpu_pct']:.0f}%" for srv, cell in e["servers"].items()
               if cell["best"] and cell["best"].get("client_cpu_pct") is not None]
        if cpu:
            notes.append(f"{name}: the client (SocketLoad) used {', '.join(cpu)} of one core")
    return notes


def print_report(scenarios, servers, meta, cluster=None, sse=None, durable=None):
    print()
    print(f"ActorHttp vs {', '.join(s for s in servers if s != SUBJECT) or 'nothing'}: best of {meta.get('repetitions')} repetition(s), "
          f"{meta.get('duration_s')} s per wrk scenario, {meta.get('cores')} cores, 127.0.0.1 only, "
          f"load average {meta.get('loadavg_before', '?')} before, {meta.get('loadavg_after', '?')} after")
    rows, notes = throughput_rows(scenarios, servers)
    if len(rows) > 1:
        print()
        print_table(rows, 2, 4 + len(RATIOS))
    mrows, mnotes = memory_rows(scenarios, servers)
    if len(mrows) > 1:
        print()
        print_table(mrows, 2)
    print()
    print("/Kestrel, /nginx, /Ceiling, /KestrelAsk: ActorHttp's figure divided by theirs (req/s; KB per connection for"
          " memory, lower is better). * httperf reports no percentiles: mean reply time.")
    print("Ceiling: the transport ceiling (ActorHttp's actors and Akka.IO writes, no HTTP work): /Ceiling is the share"
          " of it ActorHttp reaches. KestrelAsk: Kestrel with an actor Ask per request, the usual Akka.NET setup.")
    ws = [name for name, e in scenarios.items() if e.get("unit") == "msgs/s"]
    if ws:
        print(f"{', '.join(ws)}: WebSocket messages/s (each one an echo round trip) in the req/s column.")
    for n in notes + mnotes + client_notes(scenarios):
        print("  " + n)
    print()
    if cluster:
        print_cluster(cluster)
        print()
    if durable:
        print_cluster(durable, DURABLE_RUNS)
        print()
    if sse:
        print_sse(sse)
        print()
    print("Targets (ActorHttp, ratios measured in this run):")
    for name, e in scenarios.items():
        if e["target"]:
            print(f"  {fmt_result(e['met']) or 'n/a':6}  {name:12} {target_text(e['target']):26} {e['target_detail']}")
    if cluster:
        print(f"  {fmt_result(cluster['met']) or 'n/a':6}  {'cluster2':12} {cluster_target_text()}: {cluster['target_detail']}")


# ---- main -------------------------------------------------------------------------------------

def read_manifest(path, meta):
    runs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            sc, srv, rep, kind, ref = line.rstrip("\n").split("\t", 4)
            runs.append({"scenario": sc, "server": srv, "rep": int(rep), "kind": kind, **parse_run(kind, ref, meta)})
    return runs


def main(argv=None):
    ap = argparse.ArgumentParser(description="run-bench.sh report: table, results.json, results.svg")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--out", required=True, help="directory for results.json and results.svg")
    ap.add_argument("--meta", nargs="*", default=[], help="key=value facts about the run, copied into the JSON")
    args = ap.parse_args(argv)
    meta = dict(kv.split("=", 1) for kv in args.meta if "=" in kv)

    runs = read_manifest(args.manifest, meta)
    scenarios, servers = aggregate(runs, meta)
    cluster = aggregate_cluster(runs, meta)
    sse = aggregate_sse(runs, meta)
    durable = aggregate_durable(runs, meta)
    print_report(scenarios, servers, meta, cluster, sse, durable)

    result = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": "127.0.0.1",
        "selection": "best repetition: most req/s (messages/s for WebSockets), least KB per idle connection",
        "meta": meta,
        "servers": servers,
        "scenarios": scenarios,
        "cluster": cluster,
        "sse": sse,
        "durable": durable,
        "runs": runs,
    }
    json_path = os.path.join(args.out, "results.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    import bench_chart  # next to this file
    svg_path = os.path.join(args.out, "results.svg")
    with open(svg_path, "w", encoding="utf-8") as f:
        f.write(bench_chart.render(result))
    print(f"\nresults: {json_path}\nchart:   {svg_path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
