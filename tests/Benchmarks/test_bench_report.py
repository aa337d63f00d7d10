#!/usr/bin/env python3
"""Tests of the benchmark report: tool-output parsers, best-of selection, targets, the chart.
Run: python3 -m unittest discover -s tests/Benchmarks -p 'test_*.py'   (well under a second)"""
import os
import re
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_chart  # noqa: E402
import bench_report  # noqa: E402
import soak_report  # noqa: E402

WRK = """Running 6s test @ http://127.0.0.1:18080/plaintext
  2 threads and 4000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    91.15ms   50.00ms   1.99s    80.00%
    Req/Sec    11.00k     2.00k   15.00k    70.00%
  Latency Distribution
     50%   91.15ms
     75%  120.00ms
     90%  200.00ms
     99%    1.20s
  132684 requests in 6.00s, 16.95MB read
  Socket errors: connect 0, read 12, write 0, timeout 37
  Non-2xx or 3xx responses: 5
Requests/sec:  22114.00
Transfer/sec:      2.82MB
"""

WRK_PIPELINED_OVERFLOW = """Running 2s test @ http://127.0.0.1:16080/plaintext
  1 threads and 64 connections
  Latency Distribution
     50%    4.69ms
     75%    7.04ms
     90%    8.80ms
     99%    0.00us
  245547 requests in 2.00s, 36.06MB read
Requests/sec: 122495.31
"""

HTTPERF = """httperf --timeout=5 --client=0/1 --server=127.0.0.1 --port=15080 --uri=/plaintext --num-conns=1 --num-calls=500
Total: connections 1 requests 500 replies 500 test-duration 0.114 s
Request rate: 4385.8 req/s (0.2 ms/req)
Reply time [ms]: response 0.2 transfer 0.0
Reply status: 1xx=0 2xx=498 3xx=0 4xx=2 5xx=0
Errors: total 0 client-timo 0 socket-timo 0 connrefused 0 connreset 0
"""

HTTPERF_STALLED = """Total: connections 1 requests 500 replies 500 test-duration 20.512 s
Request rate: 24.4 req/s (41.0 ms/req)
Reply status: 1xx=0 2xx=500 3xx=0 4xx=0 5xx=0
Errors: total 0 client-timo 0 socket-timo 0 connrefused 0 connreset 0
"""

WS_ECHO = """# ws-echo ws://127.0.0.1:18080/ws/echo: 64 connections, 1 in flight each, 32-byte text messages, 1 s warm-up
connections=64
pipeline=1
message_bytes=32
duration_s=2
messages=112000
msgs_per_s=56000.0
p50_ms=0.7885
p90_ms=1.5000
p99_ms=5.4886
max_ms=20.1000
errors=0
client_cpu_pct=52.0
client_cores=2
client_alloc_bytes_per_msg=0.5
client_gen0_gcs=0
"""

SSE_FANOUT = """# sse-fanout http://127.0.0.1:17280/counters/sse-bench/events: 1000 subscribers
subscribers=1000
duration_s=2
posts=3000
posts_per_s=1500.0
post_p50_ms=0.6000
post_p99_ms=2.0000
delivered=2999000
expected=3000000
updates_per_s=1499500.0
p50_ms=3.2000
p90_ms=6.0000
p99_ms=12.5000
max_ms=40.0000
skipped_values=1000
errors=1
failed_subscribers=1
foreign_values=0
client_cpu_pct=80.0
client_cores=2
failure=1 subscriber(s): Connection reset by peer
"""


class ParserTests(unittest.TestCase):
    def test_wrk_rate_latency_and_every_kind_of_error(self):
        r = bench_report.parse_wrk(WRK)
        self.assertEqual(r["rps"], 22114.0)
        self.assertAlmostEqual(r["p50_ms"], 91.15)
        self.assertAlmostEqual(r["p99_ms"], 1200.0)
        self.assertEqual(r["socket_errors"], {"connect": 0, "read": 12, "write": 0, "timeout": 37})
        self.assertEqual((r["socket_error_count"], r["non_2xx_3xx"], r["errors"]), (49, 5, 54))
        self.assertTrue(r["ok"])

    def test_wrk_overflowed_p99_is_dropped_not_reported_as_zero(self):
        r = bench_report.parse_wrk(WRK_PIPELINED_OVERFLOW)
        self.assertAlmostEqual(r["p50_ms"], 4.69)
        self.assertIsNone(r["p99_ms"])
        self.assertEqual(r["errors"], 0)

    def test_wrk_without_result_is_not_ok(self):
        r = bench_report.parse_wrk("unable to connect to 127.0.0.1:18080 Connection refused\n")
        self.assertFalse(r["ok"])
        self.assertIn("no result", r["reason"])

    def test_httperf_rate_mean_time_and_non_2xx_as_errors(self):
        r = bench_report.parse_httperf(HTTPERF, calls=500, stall_ms_per_call=40)
        self.assertEqual(r["rps"], 4385.8)
        self.assertAlmostEqual(r["mean_reply_ms"], 0.228)
        self.assertEqual(r["errors"], 2)
        self.assertFalse(r["stalled"])

    def test_httperf_40ms_per_call_is_a_stall(self):
        r = bench_report.parse_httperf(HTTPERF_STALLED, calls=500, stall_ms_per_call=40)
        self.assertTrue(r["stalled"])
        self.assertTrue(r["ok"])

    def test_memory_per_connection(self):
        r = bench_report.parse_memory("connections=5000\nopened=4000\nfailed=1000\nrss_before_kb=1000\n"
                                      "rss_after_kb=17000\nfailures=failed 1000: connect: Connection refused\n")
        self.assertEqual(r["kb_per_conn"], 4.0)
        self.assertEqual(r["errors"], 1000)
        self.assertIn("refused", r["failures"])


    def test_socketload_ws_echo_rate_latency_and_client_cpu(self):
        r = bench_report.parse_socketload(WS_ECHO)
        self.assertEqual(r["rps"], 56000.0)
        self.assertAlmostEqual(r["p50_ms"], 0.7885)
        self.assertAlmostEqual(r["p99_ms"], 5.4886)
        self.assertEqual((r["errors"], r["messages"], r["pipeline"]), (0, 112000, 1))
        self.assertEqual(r["client_cpu_pct"], 52.0)
        self.assertTrue(r["ok"])

    def test_socketload_sse_fanout_rate_is_updates_delivered(self):
        r = bench_report.parse_socketload(SSE_FANOUT)
        self.assertEqual(r["rps"], 1499500.0)
        self.assertEqual(r["posts_per_s"], 1500.0)
        self.assertEqual((r["delivered"], r["expected"], r["errors"]), (2999000, 3000000, 1))
        self.assertAlmostEqual(r["p99_ms"], 12.5)
        self.assertIn("reset by peer", r["failures"])
        self.assertTrue(r["ok"])

    def test_socketload_without_a_result_says_why(self):
        r = bench_report.parse_socketload("error=could not open 64 of 64 WebSockets: upgrade answered 404, not 101\n")
        self.assertFalse(r["ok"])
        self.assertIn("404", r["reason"])
        r = bench_report.parse_socketload("skipped=GET /counters/x/events answered 404 text/plain\n")
        self.assertFalse(r["ok"])
        self.assertIn("answered 404", r["reason"])
        r = bench_report.parse_socketload("messages=0\nmsgs_per_s=0.0\np50_ms=NaN\np99_ms=NaN\nerrors=64\n")
        self.assertFalse(r["ok"])
        self.assertIsNone(r["p99_ms"])


class ReportTests(unittest.TestCase):
    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def wrk(self, rps, socket_errors=0):
        return (f"  Latency Distribution\n     50%    1.00ms\n     99%    2.00ms\n  1000 requests in 1.00s\n"
                f"  Socket errors: connect 0, read {socket_errors}, write 0, timeout 0\nRequests/sec: {rps}\n")

    def report(self, lines):
        manifest = self.write("manifest.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        meta = {"servers": "ActorHttp,Kestrel,nginx", "scenarios": "plaintext,conns1000,echo4k"}
        return bench_report.aggregate(bench_report.read_manifest(manifest, meta), meta)[0]

    def test_best_repetition_ratio_and_target(self):
        s = self.report([
            ("plaintext", "ActorHttp", 1, "wrk", self.write("a1", self.wrk(100))),
            ("plaintext", "ActorHttp", 2, "wrk", self.write("a2", self.wrk(120))),
            ("plaintext", "Kestrel", 1, "wrk", self.write("k1", self.wrk(100))),
            ("plaintext", "nginx", 1, "na", "server did not start"),
        ])["plaintext"]
        self.assertEqual(s["servers"]["ActorHttp"]["best"]["rps"], 120)
        self.assertEqual(s["ratio_vs_kestrel"], 1.2)
        self.assertIsNone(s["ratio_vs_nginx"])
        self.assertTrue(s["met"])  # 1.2 >= 1.1
        self.assertEqual(s["servers"]["nginx"]["reason"], "server did not start")

    def test_a_socket_error_in_any_repetition_misses_the_target(self):
        s = self.report([
            ("conns1000", "ActorHttp", 1, "wrk", self.write("a1", self.wrk(200))),
            ("conns1000", "ActorHttp", 2, "wrk", self.write("a2", self.wrk(150, socket_errors=3))),
            ("conns1000", "Kestrel", 1, "wrk", self.write("k1", self.wrk(100))),
        ])["conns1000"]
        self.assertFalse(s["met"])
        self.assertIn("3 socket errors", s["target_detail"])

    def test_scenario_without_a_yardstick_result_is_not_judged(self):
        s = self.report([("plaintext", "ActorHttp", 1, "wrk", self.write("a1", self.wrk(100))),
                         ("plaintext", "Kestrel", 1, "na", "port in use")])["plaintext"]
        self.assertIsNone(s["met"])
        self.assertEqual(s["target_detail"], "no Kestrel result")

    def test_cluster_share_and_half_load_p99_are_judged(self):
        def p99(ms):
            return f"     50%    1.00ms\n     99%    {ms}ms\n  1000 requests in 1.00s\nRequests/sec: 500\n"
        lines = [("counters1", "ActorHttp", 1, "wrk", self.write("c1", self.wrk(1000))),
                 ("counters1half", "ActorHttp", 1, "wrk", self.write("c1h", self.wrk(500))),
                 ("counters2", "ActorHttp", 1, "wrk", self.write("c2", self.wrk(450))),
                 ("counters2half", "ActorHttp", 1, "wrk", self.write("c2h", p99("3.00")))]
        meta = {"scenarios": "cluster2"}
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        c = bench_report.aggregate_cluster(bench_report.read_manifest(manifest, meta), meta)
        self.assertEqual(c["share_of_single_node"], 0.45)
        self.assertTrue(c["met"])  # 45% >= 40%, p99 3 ms < 5 ms
        lines[3] = ("counters2half", "ActorHttp", 1, "wrk", self.write("c2h", p99("7.00")))
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        c = bench_report.aggregate_cluster(bench_report.read_manifest(manifest, meta), meta)
        self.assertFalse(c["met"])
        self.assertIn("7.00ms", c["target_detail"])
        lines[2] = ("counters2", "ActorHttp", 1, "na", "cluster of 2 did not start")
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        c = bench_report.aggregate_cluster(bench_report.read_manifest(manifest, meta), meta)
        self.assertIsNone(c["met"])
        self.assertEqual(c["runs"]["counters2"]["reason"], "cluster of 2 did not start")

    def test_durable_counters_are_reported_beside_the_in_memory_ones(self):
        lines = [("counters1", "ActorHttp", 1, "wrk", self.write("c1", self.wrk(1000))),
                 ("counters2", "ActorHttp", 1, "wrk", self.write("c2", self.wrk(800))),
                 ("pcounters1", "ActorHttp", 1, "wrk", self.write("p1", self.wrk(250))),
                 ("pcounters2", "ActorHttp", 1, "na", "cluster of 2 did not start")]
        meta = {"scenarios": "cluster2,persist2"}
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        d = bench_report.aggregate_durable(bench_report.read_manifest(manifest, meta), meta)
        self.assertEqual(d["runs"]["pcounters1"]["share_of_in_memory"], 0.25)
        self.assertIsNone(d["runs"]["pcounters2"]["best"])
        self.assertEqual(d["runs"]["pcounters2"]["reason"], "cluster of 2 did not start")
        self.assertIsNone(bench_report.aggregate_durable([], {"scenarios": "cluster2"}))

    def test_websocket_echo_ratio_and_idle_websocket_memory_side_by_side(self):
        def ws(rate):
            return WS_ECHO.replace("msgs_per_s=56000.0", f"msgs_per_s={rate}")
        mem = "connections=10000\nopened=10000\nfailed=0\nrss_before_kb={}\nrss_after_kb={}\nfailures=\n"
        lines = [("wsecho", "ActorHttp", 1, "socketload", self.write("wa", ws(45000.0))),
                 ("wsecho", "Kestrel", 1, "socketload", self.write("wk", ws(60000.0))),
                 ("wsecho", "nginx", 1, "na", "stock nginx has no WebSocket echo"),
                 ("wsidle10k", "ActorHttp", 1, "memory", self.write("ma", mem.format(100000, 350000))),
                 ("wsidle10k", "Kestrel", 1, "memory", self.write("mk", mem.format(60000, 260000)))]
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        meta = {"servers": "ActorHttp,Kestrel,nginx", "scenarios": "wsidle10k,wsecho"}
        scenarios, servers = bench_report.aggregate(bench_report.read_manifest(manifest, meta), meta)
        self.assertEqual(list(scenarios), ["wsecho", "wsidle10k"])
        echo, idle = scenarios["wsecho"], scenarios["wsidle10k"]
        self.assertEqual(echo["unit"], "msgs/s")
        self.assertEqual(echo["ratio_vs_kestrel"], 0.75)
        self.assertIsNone(echo["met"])  # no target: the ratio is the figure
        self.assertEqual(echo["servers"]["nginx"]["reason"], "stock nginx has no WebSocket echo")
        self.assertEqual(idle["servers"]["ActorHttp"]["best"]["kb_per_conn"], 25.0)
        self.assertEqual(idle["ratio_vs_kestrel"], 1.25)
        self.assertIn("Kestrel 52%", " ".join(bench_report.client_notes(scenarios)))
        svg = bench_chart.render({"servers": servers, "scenarios": scenarios, "meta": {}})
        texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
        for expected in ("wsecho", "msgs/s", "0.75×", "wsidle10k", "25.0 KB"):
            self.assertIn(expected, texts)

    def test_sse_fanout_is_actorhttp_alone_or_na_with_the_reason(self):
        meta = {"scenarios": "ssefanout"}
        manifest = self.write("m.tsv", f"ssefanout\tActorHttp\t1\tsocketload\t{self.write('s', SSE_FANOUT)}\n")
        sse = bench_report.aggregate_sse(bench_report.read_manifest(manifest, meta), meta)
        self.assertEqual(sse["best"]["rps"], 1499500.0)
        self.assertIn("Kestrel has no counter entity", sse["title"])
        manifest = self.write("m.tsv", "ssefanout\tActorHttp\t1\tna\thocon/standalone.conf has no route\n")
        sse = bench_report.aggregate_sse(bench_report.read_manifest(manifest, meta), meta)
        self.assertIsNone(sse["best"])
        self.assertEqual(sse["reason"], "hocon/standalone.conf has no route")
        self.assertIsNone(bench_report.aggregate_sse([], {"scenarios": "plaintext"}))
        sse = bench_report.aggregate_sse([], {"scenarios": "ssefanout", "servers": "Kestrel,nginx"})
        self.assertIn("not among the servers", sse["reason"])

    def test_every_scenario_of_run_bench_is_in_the_report(self):
        # run-bench.sh's ALL_SCENARIOS, less the three reported apart (cluster2, persist2, ssefanout): a scenario the script runs
        # but the report does not know would vanish from the table silently.
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run-bench.sh"), encoding="utf-8") as f:
            m = re.search(r"^ALL_SCENARIOS=\(([^)]*)\)", f.read(), re.M)
        self.assertIsNotNone(m)
        self.assertEqual(set(m.group(1).split()) - {"cluster2", "persist2", "ssefanout"}, set(bench_report.SCENARIOS))

    def test_every_server_of_run_bench_is_in_the_report(self):
        # A server the script runs but the report does not list would vanish from the table and results.json.
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run-bench.sh"), encoding="utf-8") as f:
            m = re.search(r"^ALL_SERVERS=\(([^)]*)\)", f.read(), re.M)
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1).split(), bench_report.SERVERS)

    def test_ceiling_and_kestrel_ask_ratios_in_columns_of_their_own(self):
        lines = [("plaintext", "ActorHttp", 1, "wrk", self.write("a1", self.wrk(60000))),
                 ("plaintext", "Kestrel", 1, "wrk", self.write("k1", self.wrk(50000))),
                 ("plaintext", "Ceiling", 1, "wrk", self.write("c1", self.wrk(80000))),
                 ("plaintext", "KestrelAsk", 1, "wrk", self.write("q1", self.wrk(30000))),
                 ("echo4k", "ActorHttp", 1, "wrk", self.write("a2", self.wrk(20000))),
                 ("echo4k", "Ceiling", 1, "na", "the transport ceiling has the plaintext answer only"),
                 ("echo4k", "KestrelAsk", 1, "na", "Kestrel+Ask differs from Kestrel on /plaintext only")]
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        meta = {"servers": "ActorHttp,Kestrel,Ceiling,KestrelAsk", "scenarios": "plaintext,echo4k"}
        scenarios, servers = bench_report.aggregate(bench_report.read_manifest(manifest, meta), meta)
        self.assertEqual(servers, ["ActorHttp", "Kestrel", "Ceiling", "KestrelAsk"])
        plain, echo = scenarios["plaintext"], scenarios["echo4k"]
        self.assertEqual(plain["ratio_vs_ceiling"], 0.75)
        self.assertEqual(plain["ratio_vs_kestrelask"], 2.0)
        self.assertEqual(plain["ratio_vs_kestrel"], 1.2)  # the target is still judged against Kestrel alone
        self.assertTrue(plain["met"])
        self.assertIsNone(echo["ratio_vs_ceiling"])
        self.assertEqual(echo["servers"]["Ceiling"]["reason"], "the transport ceiling has the plaintext answer only")
        rows, notes = bench_report.throughput_rows(scenarios, servers)
        header = rows[0]
        self.assertEqual(header[6:10], ("/Kestrel", "/nginx", "/Ceiling", "/KestrelAsk"))
        actorhttp = dict(zip(header, rows[1]))
        self.assertEqual((actorhttp["/Ceiling"], actorhttp["/KestrelAsk"], actorhttp["/nginx"]), ("0.75x", "2.00x", "-"))
        self.assertEqual(dict(zip(header, rows[3]))["req/s"], "80,000")  # the Ceiling's row
        self.assertIn("echo4k/KestrelAsk: n/a: Kestrel+Ask differs from Kestrel on /plaintext only", notes)
        self.assertTrue(all(len(row) == len(header) for row in rows))
        svg = bench_chart.render({"servers": servers, "scenarios": scenarios, "meta": {}})
        texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
        for expected in ("Ceiling", "KestrelAsk", "80.0k req/s", "plaintext answer only"):
            self.assertIn(expected, texts)

    def test_gzip_static_without_compression_is_na_with_the_reason(self):
        reason = "GET /staticgz/10k.html with Accept-Encoding: gzip answered 200 with no Content-Encoding, not gzip"
        lines = [("static10k", "Kestrel", 1, "wrk", self.write("k1", self.wrk(60000))),
                 ("static10kgz", "ActorHttp", 1, "na", reason),
                 ("static10kgz", "Kestrel", 1, "wrk", self.write("k2", self.wrk(30000))),
                 ("static10kgz", "nginx", 1, "wrk", self.write("n2", self.wrk(40000)))]
        manifest = self.write("m.tsv", "".join("\t".join(map(str, line)) + "\n" for line in lines))
        meta = {"servers": "ActorHttp,Kestrel,nginx", "scenarios": "static10k,static10kgz"}
        scenarios, servers = bench_report.aggregate(bench_report.read_manifest(manifest, meta), meta)
        self.assertEqual(list(scenarios), ["static10k", "static10kgz"])
        gz = scenarios["static10kgz"]
        self.assertIn("gzip", gz["title"])
        self.assertIsNone(gz["target"])
        self.assertEqual(gz["servers"]["ActorHttp"]["reason"], reason)
        self.assertEqual(gz["servers"]["nginx"]["best"]["rps"], 40000)
        self.assertIsNone(gz["ratio_vs_kestrel"])
        rows, notes = bench_report.throughput_rows(scenarios, servers)
        self.assertIn(("static10kgz", "ActorHttp", "n/a"), [row[:3] for row in rows])
        self.assertIn(f"static10kgz/ActorHttp: n/a: {reason}", notes)

    def test_chart_is_well_formed_svg_naming_every_scenario(self):
        scenarios = self.report([
            ("plaintext", "ActorHttp", 1, "wrk", self.write("a1", self.wrk(100))),
            ("plaintext", "Kestrel", 1, "wrk", self.write("k1", self.wrk(90))),
            ("echo4k", "nginx", 1, "na", "stock nginx has no echo module"),
        ])
        svg = bench_chart.render({"servers": ["ActorHttp", "Kestrel", "nginx"], "scenarios": scenarios, "meta": {}})
        root = ET.fromstring(svg)
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        for expected in ("plaintext", "conns1000", "echo4k", "met", "no echo module"):
            self.assertIn(expected, texts)


class SoakReportTests(unittest.TestCase):
    @staticmethod
    def samples(rss_by_segment, actors=31, final_actors=31):
        rows = [{"t_s": 0, "segment": 0, "scenario": "warmup", "rss_kb": 80_000, "actors": actors}]
        for i, rss in enumerate(rss_by_segment, 1):
            rows.append({"t_s": i, "segment": i, "scenario": "abc"[(i - 1) % 3], "rss_kb": rss, "actors": actors})
        rows.append({"t_s": 99, "segment": 99, "scenario": "idle", "rss_kb": rss_by_segment[-1], "actors": final_actors})
        return rows

    def test_memory_is_compared_cycle_against_cycle(self):
        # A mix of 3 whose third scenario always costs more: level from cycle to cycle, so steady.
        v = soak_report.verdict(self.samples([90_000, 95_000, 180_000] * 3), mix_length=3)
        self.assertTrue(v["memory"]["steady"])
        self.assertTrue(v["steady"])
        # Climbing by 40 MB a cycle: growing, and the whole verdict with it.
        v = soak_report.verdict(self.samples([90_000 + 40_000 * c for c in range(3) for _ in range(3)]), mix_length=3)
        self.assertFalse(v["memory"]["steady"])
        self.assertFalse(v["steady"])

    def test_actors_must_come_back_to_the_warm_up_count_and_one_cycle_decides_nothing(self):
        v = soak_report.verdict(self.samples([90_000] * 6, final_actors=40), mix_length=3)
        self.assertFalse(v["actors"]["steady"])
        v = soak_report.verdict(self.samples([90_000] * 4), mix_length=3)
        self.assertIsNone(v["memory"]["steady"])
        self.assertIsNone(v["steady"])


if __name__ == "__main__":
    unittest.main()
