"""`make run` works on a fresh clone: migrate, seed the demo, serve pages.

The repository's files (tracked, and new ones not ignored) are copied into a
temporary folder, as a clone would have them, and `make run` is started there
with this test's virtualenv and no DATABASE_URL, so it must make its own
SQLite database. The test logs in as the demo applicant and opens the page
that lists the procedures, then stops the server.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from demo.seed import DEMO_PASSWORD, PROCEDURES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120


def clone_into(target: Path) -> None:
    listed = (
        subprocess.run(  # noqa: S603 - our own command line
            [shutil.which("git") or "git", "ls-files", "-z", "-co", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # keeps mtimes: make sees nothing new


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """This shell's environment without what pytest and the test settings set."""
    settings_file = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r"\benv_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", settings_file))
    drop = read | {"DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}


def wait_for_home(base_url: str, server: subprocess.Popen, log: Path) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"make run exited with {server.returncode}:\n{log.read_text()[-5000:]}")
        try:
            response = httpx.get(base_url + "/", timeout=5)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"No 200 from {base_url}/ in {START_TIMEOUT} s:\n{log.read_text()[-5000:]}")


def stop(server: subprocess.Popen) -> None:
    """End the process group that make started (make, runserver and its reloader),
    even if make itself has already exited."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def log_in(client: httpx.Client, email: str, password: str) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "the login page has no CSRF token"
    response = client.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": email, "password": password},
    )
    assert response.status_code == 302, response.text[:2000]


def test_make_run_serves_the_demo_on_a_fresh_clone(tmp_path):
    clone = tmp_path / "guichet"
    clone.mkdir()
    clone_into(clone)
    assert not (clone / "db.sqlite3").exists()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"
    installed = Path(sys.prefix) / "bin" / ".installed"

    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            # -o: never remake the install stamp, whatever the mtimes: this
            # virtualenv is shared with the repository it came from.
            [
                shutil.which("make") or "make",
                "run",
                f"VENV={sys.prefix}",
                f"PORT={port}",
                "-o",
                str(installed),
            ],
            cwd=clone,
            env=clean_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        home = wait_for_home(base_url, server, log)
        with httpx.Client(base_url=base_url, timeout=10) as client:
            log_in(client, "applicant@demo.guichet.test", DEMO_PASSWORD)
            booking = client.get("/book/")
    finally:
        stop(server)

    output = log.read_text()
    assert "pip install" not in output, "make run reinstalled into the shared virtualenv"
    assert f"Password of every demo account: {DEMO_PASSWORD}" in output
    assert "Guichet" in home.text
    assert booking.status_code == 200, booking.text[:2000]
    page = html.unescape(booking.text)
    for procedure in PROCEDURES:
        assert procedure["name"] in page, procedure["slug"]

    database = clone / "db.sqlite3"
    assert database.is_file()
    with sqlite3.connect(database) as db:
        sites = {row[0] for row in db.execute("SELECT slug FROM booking_site")}
        roles = dict(db.execute("SELECT email, role FROM accounts_user"))
        slots = db.execute("SELECT COUNT(*) FROM booking_slot").fetchone()[0]
    assert sites == {"bobigny", "le-raincy", "saint-denis"}
    assert roles["agent@demo.guichet.test"] == "agent"
    assert roles["mediator@demo.guichet.test"] == "mediator"
    assert slots > 1000
