"""Serving static files as production does, and counting the bytes Chromium fetches.

``live_server`` serves /static/ through Django's own handler, from the finders,
uncompressed and uncached: useless for a page-weight budget. ``production_server``
runs collectstatic (fingerprinted names, gzip) into a temporary STATIC_ROOT once per
module and starts a server whose only static handler is WhiteNoise, with DEBUG off so
that ``{% static %}`` writes the fingerprinted names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.testcases import LiveServerThread

from config import settings as production


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """A STATIC_ROOT filled by collectstatic with the production storage."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=production.STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_server(collected_static, transactional_db) -> Iterator[str]:
    """The URL of a server answering static files through WhiteNoise only."""
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=collected_static,
        STORAGES=production.STORAGES,
        MIDDLEWARE=production.MIDDLEWARE,
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_USE_FINDERS=False,
    ):
        # No static handler around the WSGI application: WhiteNoise is the one.
        thread = LiveServerThread("127.0.0.1", static_handler=lambda handler: handler)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.terminate()
            connections.close_all()


class Transfers:
    """Bytes received over the network (compressed, headers included) per step,
    from Chromium's own accounting (CDP ``Network.loadingFinished``); a response
    served from the browser's cache counts zero, as it costs nothing."""

    def __init__(self, context, page):
        self.steps: dict[str, int] = {}
        self.urls: list[str] = []
        self.files: dict[str, list[tuple[str, int]]] = {}
        self._current: str | None = None
        self._urls_by_id: dict[str, str] = {}
        context.on("request", lambda request: self.urls.append(request.url))
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event) -> None:
        self._urls_by_id[event["requestId"]] = event["request"]["url"]

    def _finished(self, event) -> None:
        if self._current is None:
            return
        size = int(event["encodedDataLength"])
        self.steps[self._current] += size
        url = self._urls_by_id.get(event["requestId"], "?")
        self.files[self._current].append((url, size))

    @contextmanager
    def step(self, name: str):
        self._current = name
        self.steps[name] = 0
        self.files[name] = []
        try:
            yield
        finally:
            self._current = None

    def total(self) -> int:
        return sum(self.steps.values())

    def report(self) -> str:
        lines = []
        for name, size in self.steps.items():
            lines.append(f"{name:<24} {size / 1024:7.1f} KB")
            for url, file_size in self.files[name]:
                if file_size:
                    path = url.split("/", 3)[-1]
                    lines.append(f"    {file_size / 1024:7.1f} KB  /{path[:90]}")
        lines.append(f"{'all':<24} {self.total() / 1024:7.1f} KB")
        return "\n".join(lines)
