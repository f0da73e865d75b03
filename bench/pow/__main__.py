"""The proof-of-work's cost: ``python -m bench.pow`` (``run.sh``).

For each cost (``ANTIBOT_MAX_NUMBER``, ``--costs``), on challenges made by
``core.antibot`` itself:

- a client solving in Python (the ``altcha`` library's solver, one core):
  mean, p50, p95 seconds over ``--rounds`` challenges;
- the widget (``static/vendor/altcha/``) solving in a real headless Chromium
  (Debian's, its Web Workers on every core, as a visitor's browser runs it):
  the same figures, from the page's load to the solution in the form
  (``--no-browser`` to skip);
- the server: microseconds to make a challenge and to verify a solution
  (with its single-use mark in the in-process cache).

The machine's load average is printed before and after: the figures of a busy
shared machine are upper bounds. No database needed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import time
from pathlib import Path

from bench import common

STATIC = common.ROOT / "static" / "vendor" / "altcha"


def _setup() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-" + "x" * 60,
        USE_I18N=False,
        INSTALLED_APPS=[],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        ANTIBOT_ENABLED=True,
        ANTIBOT_MAX_NUMBER=100_000,
        ANTIBOT_EXPIRY_SECONDS=3600,
        ANTIBOT_NOSCRIPT_WAIT_SECONDS=10,
    )
    django.setup()


def _figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"mean {statistics.mean(times):6.3f} s  p50 {statistics.median(times):6.3f} s  "
        f"p95 {p95:6.3f} s  max {ordered[-1]:6.3f} s"
    )


def _challenges(cost: int, rounds: int) -> list[dict]:
    from django.test import override_settings

    from core import antibot

    with override_settings(ANTIBOT_MAX_NUMBER=cost):
        return [antibot.challenge_create() for _ in range(rounds)]


def python_solver(cost: int, rounds: int) -> list[float]:
    import altcha

    times = []
    for challenge in _challenges(cost, rounds):
        started = time.perf_counter()
        found = altcha.solve_challenge_v1(
            challenge["challenge"], challenge["salt"], "SHA-256", challenge["maxnumber"]
        )
        times.append(time.perf_counter() - started)
        assert found is not None
    return times


_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<link rel="stylesheet" href="/altcha.css">
<script type="module" src="/altcha.js"></script></head><body><form>
<altcha-widget name="altcha" challengejson="{challenge}" workerurl="/worker.js" auto="onload"
 hidelogo hidefooter></altcha-widget></form></body></html>"""


def _static_server(files: dict[str, bytes], current: dict[str, str]):
    """A local HTTP server for the widget's files and the page of the current challenge
    (Chromium's Web Workers need real same-origin URLs)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    types = {"js": "text/javascript", "css": "text/css"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.lstrip("/")
            if path in files:
                body, kind = files[path], types[path.rsplit(".", 1)[1]]
            else:
                body, kind = current["html"].encode(), "text/html"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def widget_solver(cost: int, rounds: int) -> list[float]:
    from html import escape

    from tests.helpers.browser import chromium_launched

    names = ("altcha.js", "worker.js", "altcha.css")
    files = {name: (STATIC / name).read_bytes() for name in names}
    current = {"html": ""}
    server = _static_server(files, current)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    times = []
    try:
        with chromium_launched() as chromium:
            context = chromium.new_context()
            page = context.new_page()
            for challenge in _challenges(cost, rounds):
                current["html"] = _PAGE.format(challenge=escape(json.dumps(challenge)))
                started = time.perf_counter()
                page.goto(f"{origin}/")
                page.wait_for_function(
                    "() => { const f = document.querySelector('input[name=altcha]');"
                    " return f && f.value }",
                    timeout=120_000,
                )
                times.append(time.perf_counter() - started)
                payload = page.locator("input[name=altcha]").input_value()
                assert json.loads(base64.b64decode(payload))["signature"] == challenge["signature"]
            context.close()
    finally:
        server.shutdown()
    return times


def server_cost(cost: int, rounds: int) -> tuple[float, float]:
    """Microseconds to make a challenge, and to verify a solution (made beforehand)."""
    import altcha
    from django.test import override_settings

    from core import antibot

    with override_settings(ANTIBOT_MAX_NUMBER=cost):
        started = time.perf_counter()
        made = [antibot.challenge_create() for _ in range(rounds)]
        create = (time.perf_counter() - started) / rounds * 1e6
    payloads = []
    for challenge in made[: min(rounds, 200)]:
        # Solved the cheap way (the bench knows nothing secret: it searches like a client).
        found = altcha.solve_challenge_v1(
            challenge["challenge"], challenge["salt"], "SHA-256", challenge["maxnumber"]
        )
        solved = json.dumps({**challenge, "number": found.number}).encode()
        payloads.append(base64.b64encode(solved).decode())
    started = time.perf_counter()
    for payload in payloads:
        antibot.solution_verify(payload)
    verify = (time.perf_counter() - started) / len(payloads) * 1e6
    return create, verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--costs", default="20000,50000,100000,250000", help="ANTIBOT_MAX_NUMBER values"
    )
    parser.add_argument("--rounds", type=int, default=10, help="challenges per cost and solver")
    parser.add_argument("--no-browser", action="store_true", help="skip the widget in Chromium")
    args = parser.parse_args()
    costs = [int(c) for c in args.costs.split(",")]

    _setup()
    common.header("proof-of-work: solving and verifying")
    print(f"   load:    {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min) before")
    for cost in costs:
        print(f"-- ANTIBOT_MAX_NUMBER={cost} (a client hashes {cost // 2} on average)")
        print(f"   python solver, 1 core:   {_figures(python_solver(cost, args.rounds))}")
        if not args.no_browser and Path("/usr/bin/chromium").exists():
            print(f"   widget, Chromium:        {_figures(widget_solver(cost, args.rounds))}")
        create, verify = server_cost(cost, max(args.rounds, 200))
        print(f"   server: make {create:6.1f} us, verify {verify:6.1f} us (single-use mark in)")
    print(f"   load:    {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min) after")


if __name__ == "__main__":
    main()
