#!/usr/bin/env python3
"""Opens N concurrent keep-alive connections to 127.0.0.1:PORT and sends requests on all of them.

Round 1: each connection is opened (at most --connect-concurrency connects in flight) and sends one GET; it stays open.
Round 2: once every connection has its first answer, each sends a second GET, all at once: N connections open together.
Then, on a line "close" on stdin (or at once with --no-wait), everything is closed.

Prints one JSON line: connections opened, responses received with the expected status and body, and the failures by kind
(reset, refused, timeout, closed early, bad response). Exit code 0 when every request was answered, 1 otherwise.
Only 127.0.0.1 is ever contacted. Needs an fd limit above N (raise it with `ulimit -n` before starting).
"""
import argparse
import asyncio
import json
import resource
import sys
import time

HOST = "127.0.0.1"


async def read_response(reader, timeout):
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await asyncio.wait_for(reader.readexactly(length), timeout) if length else b""
    return status, body


def classify(error):
    if isinstance(error, ConnectionResetError):
        return "reset"
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(error, (asyncio.IncompleteReadError, BrokenPipeError)):
        return "closed"
    return "other:" + type(error).__name__


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--path", default="/plaintext")
    parser.add_argument("--expect-body", default="Hello, World!")
    parser.add_argument("--connect-concurrency", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args()

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 64:
        print(json.dumps({"error": f"fd limit {soft} is below {args.connections + 64}"}))
        return 2

    request = f"GET {args.path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    expected = args.expect_body.encode()
    failures = {}
    answered = [0, 0]
    connections = []
    gate = asyncio.Semaphore(args.connect_concurrency)

    def fail(kind):
        failures[kind] = failures.get(kind, 0) + 1

    async def exchange(reader, writer, round_index):
        writer.write(request)
        await writer.drain()
        status, body = await read_response(reader, args.timeout)
        if status != 200 or body != expected:
            fail(f"bad:{status}")
            return False
        answered[round_index] += 1
        return True

    async def open_one():
        try:
            async with gate:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, args.port), args.timeout)
            if await exchange(reader, writer, 0):
                connections.append((reader, writer))
        except Exception as error:  # noqa: BLE001 - every failure is counted by kind
            fail(classify(error))

    async def second(reader, writer):
        try:
            await exchange(reader, writer, 1)
        except Exception as error:  # noqa: BLE001
            fail(classify(error))

    started = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(args.connections)))
    round1 = time.monotonic() - started
    await asyncio.gather(*(second(r, w) for r, w in connections))
    round2 = time.monotonic() - started - round1
    result = {
        "connections": args.connections,
        "open": len(connections),
        "round1_ok": answered[0],
        "round2_ok": answered[1],
        "failures": failures,
        "round1_s": round(round1, 2),
        "round2_s": round(round2, 2),
    }
    print(json.dumps(result), flush=True)
    if not args.no_wait:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for _, writer in connections:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for _, w in connections), return_exceptions=True)
    ok = answered[0] == args.connections and answered[1] == args.connections and not failures
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
