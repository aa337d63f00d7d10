#!/usr/bin/env python3
"""An independent WebSocket client (Python's websockets, Debian's python3-websockets) for ActorHttp's tests.

Usage: websocket_client.py URL
Talks to an echo endpoint: a text message with non-ASCII characters, a 100 KB binary message, a ping (answered by
a pong), then a close handshake with 1000. Prints one line per step ("text ok", ...) and "done" at the end; exits 1
with the reason on stderr when anything differs. Only 127.0.0.1 URLs are accepted.
"""
import asyncio
import os
import sys

import websockets


async def main(url: str) -> None:
    if not url.startswith("ws://127.0.0.1:"):
        raise SystemExit(f"refusing a non-loopback url: {url}")
    async with websockets.connect(url, open_timeout=10, close_timeout=10, max_size=None, compression=None) as ws:
        text = "héllo, wörld ✓ 😀"
        await ws.send(text)
        reply = await asyncio.wait_for(ws.recv(), 10)
        if reply != text:
            raise SystemExit(f"text echo differs: {reply!r}")
        print("text ok", flush=True)

        data = os.urandom(100 * 1024)
        await ws.send(data)
        reply = await asyncio.wait_for(ws.recv(), 10)
        if reply != data:
            raise SystemExit(f"binary echo differs ({len(reply)} bytes back)")
        print("binary ok", flush=True)

        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)
        print("ping ok", flush=True)

        await ws.close(code=1000, reason="done")
        if ws.close_code != 1000:
            raise SystemExit(f"close code {ws.close_code}, expected 1000")
        print("close ok", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: websocket_client.py URL")
    asyncio.run(main(sys.argv[1]))
