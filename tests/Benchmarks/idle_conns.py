#!/usr/bin/env python3
"""Opens COUNT keep-alive connections to 127.0.0.1:PORT, makes one GET on each (so the server has set up
everything a served connection keeps), then holds them all open and idle. With --websocket the GET is a WebSocket
upgrade (answered 101): COUNT idle WebSockets, which send nothing after the handshake.

Prints "ready <opened> <failed>" once every connection has had its answer (then a "failed <n>: <cause>" line per
cause of failure), then holds them until SIGTERM/SIGINT
(or --hold seconds), and closes them. Used by run-bench.sh's memory scenario, which reads the server's RSS
before and after. Python standard library only.

Usage: idle_conns.py --port N [--count 5000] [--path /plaintext] [--websocket] [--timeout 30] [--hold 120]
"""
import argparse
import collections
import signal
import socket
import sys
import time

BATCH = 200  # connections connected and answered per round: stays well inside any accept backlog


def read_response(sock):
    """Reads one response with a Content-Length body; returns its status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the response body")
        rest += chunk
    return status


# RFC 6455's sample key: every socket may offer the same one.
UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
          "Sec-WebSocket-Version: 13\r\n"


def open_batch(port, path, n, timeout, errors, websocket=False):
    """Connects n sockets and sends each a request, then reads the answers; returns the answered sockets and
    counts each failure's cause in errors. A WebSocket upgrade counts as answered when it is 101."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{UPGRADE if websocket else ''}\r\n".encode()
    opened, failed = [], 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            opened.append(s)
        except OSError as e:
            errors[f"connect: {e.strerror or type(e).__name__}"] += 1
            s.close()
            failed += 1
    answered = []
    for s in opened:
        try:
            status = read_response(s)
            if (status == 101) if websocket else (200 <= status < 300):
                answered.append(s)
                continue
            errors[f"status {status}"] += 1
        except (OSError, ValueError, IndexError) as e:
            errors[f"response: {getattr(e, 'strerror', None) or e or type(e).__name__}"] += 1
        s.close()
        failed += 1
    return answered, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--path", default="/plaintext")
    ap.add_argument("--websocket", action="store_true", help="upgrade each connection to a WebSocket (101)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole setup")
    ap.add_argument("--hold", type=float, default=120.0, help="most seconds to hold the connections open")
    args = ap.parse_args()

    stop = False

    def on_signal(_sig, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    deadline = time.monotonic() + args.timeout
    conns, failed, errors = [], 0, collections.Counter()
    while len(conns) + failed < args.count and not stop and time.monotonic() < deadline:
        n = min(BATCH, args.count - len(conns) - failed)
        batch, f = open_batch(args.port, args.path, n, max(1.0, deadline - time.monotonic()), errors, args.websocket)
        conns += batch
        failed += f
    if len(conns) + failed < args.count:
        errors["not tried: out of time"] += args.count - len(conns) - failed
        failed = args.count - len(conns)
    print(f"ready {len(conns)} {failed}", flush=True)
    for cause, n in errors.most_common():
        print(f"failed {n}: {cause}", flush=True)

    # Idle until told to stop, and never longer than --hold: an orphan must not hold 5,000 sockets forever.
    hold_until = time.monotonic() + args.hold
    while not stop and time.monotonic() < hold_until:
        time.sleep(0.2)
    for s in conns:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
