"""The load generator: ``python -m bench.loadgen SPEC OUT --concurrency C``.

Runs in its own process. ``SPEC`` is JSON ``{"base": "http://127.0.0.1:PORT",
"requests": [{"method", "path", "headers", "body"}, ...]}``; ``concurrency``
tasks take requests in order and send them at once, one connection per
request (gunicorn's sync workers close the connection after each response).
A bare asyncio HTTP/1.1 client: an order of magnitude less CPU per request
than a full client library, which matters on a 2-core machine where client
and server share the cores. Writes ``{"seconds", "samples": [[status,
latency, start]...], "bodies": {status: first body}}`` to ``OUT`` (``start``:
seconds from the beginning); status 0 means a connection error or a timeout.
``--rate R`` paces the starts at R requests/s at most (for runs that must
last, such as the database-fault run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from urllib.parse import urlsplit


def _encode(request: dict, host: str, port: int) -> bytes:
    body = request.get("body")
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"{request.get('method', 'GET')} {request['path']} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        "Accept: application/json",
    ]
    lines += [f"{name}: {value}" for name, value in request.get("headers", {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _one(host: str, port: int, raw: bytes, timeout: float) -> tuple[int, bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    status_line, _, rest = data.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    return status, rest.partition(b"\r\n\r\n")[2]


async def _run(
    base: str, requests: list[dict], concurrency: int, timeout: float, rate: float
) -> dict:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    raws = [_encode(request, host, port) for request in requests]
    samples: list[list] = [[] for _ in raws]
    bodies: dict[int, str] = {}
    position = 0

    begin = time.perf_counter()

    async def worker() -> None:
        nonlocal position
        while position < len(raws):
            index = position
            position += 1
            if rate:
                await asyncio.sleep(max(0.0, begin + index / rate - time.perf_counter()))
            started = time.perf_counter()
            try:
                status, body = await _one(host, port, raws[index], timeout)
            except (OSError, TimeoutError, ValueError, IndexError):
                status, body = 0, b""
            samples[index] = [status, time.perf_counter() - started, started - begin]
            if status not in bodies:
                bodies[status] = body[:500].decode(errors="replace")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"seconds": time.perf_counter() - begin, "samples": samples, "bodies": bodies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=0.0, help="Starts per second (0: no limit).")
    args = parser.parse_args()
    spec = json.loads(args.spec.read_text())
    result = asyncio.run(
        _run(spec["base"], spec["requests"], args.concurrency, args.timeout, args.rate)
    )
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
