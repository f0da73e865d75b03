"""`make run` works on a fresh clone, on its embedded PostgreSQL, end to end.

The repository's files (tracked, and new ones not ignored) are copied into a
temporary folder, as a clone would have them, and `make run` is started there
with this test's virtualenv and no DATABASE_URL, so it must start its own
PostgreSQL (core/devdb.py, data in the clone's .devdb/), migrate and seed the
demo. Then, over HTTP through the pages, as a newcomer would: register, confirm
the e-mail address with the link the console e-mail printed and the mobile
number with the code the console SMS printed, enter an identity, find a free
time by following the links, book it and cancel it. Last, the embedded server
is started again on the same data, which still hold the cancelled appointment.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import altcha
import httpx
import psycopg
import pytest

from demo.seed import DEMO_PASSWORD, PROCEDURES
from tests.helpers.checkout import clone_into
from tests.helpers.settings_process import settings_variables

pytestmark = pytest.mark.slow

START_TIMEOUT = 240
EMAIL = "newcomer@example.test"
PASSWORD = "un-long-mot-de-passe-93"
PHONE = "06 12 34 56 79"
PHONE_E164 = "+33612345679"
# A foreigner number (AGDREF): what most of the demo's procedures ask for.
DOCUMENT_NUMBER = "9387654321"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """This shell's environment without what pytest and the test settings set:
    DATABASE_URL above all, so that `make run` takes its embedded server."""
    drop = settings_variables() | {
        "DJANGO_SETTINGS_MODULE",
        "VIRTUAL_ENV",
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    assert "DATABASE_URL" not in env
    # The console e-mails and SMS reach the log as they are sent.
    return {**env, "PYTHONUNBUFFERED": "1"}


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


def manage(clone: Path, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", *args],
        cwd=clone,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- The pages ------------------------------------------------------------------------


def csrf(page: httpx.Response) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, f"{page.url} has no CSRF token"
    return token.group(1)


def submit(
    client: httpx.Client, url: str, data: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """GET the form's page (``url`` unless ``page``), POST ``data`` to ``url`` with
    its CSRF token; the answer must be a redirect (success), returned unfollowed."""
    form = client.get(page or url)
    assert form.status_code == 200, (url, form.status_code, form.text[:2000])
    response = client.post(url, data={"csrfmiddlewaretoken": csrf(form), **data})
    assert response.status_code == 302, (url, response.status_code, response.text[:3000])
    return response


def links(page: httpx.Response, pattern: str) -> list[str]:
    """The paths of the page's links whose href matches ``pattern``, in order."""
    found = re.findall(r'href="([^"]+)"', page.text)
    return list(dict.fromkeys(html.unescape(h) for h in found if re.search(pattern, h)))


def printed(log: Path, pattern: str, what: str) -> str:
    """The last match of ``pattern`` in what `make run` printed (waits a little)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.findall(pattern, log.read_text(errors="replace"))
        if found:
            return found[-1]
        time.sleep(0.2)
    pytest.fail(f"make run printed no {what}:\n{log.read_text()[-5000:]}")


def proof_of_work(client: httpx.Client) -> dict[str, str]:
    """The form field a browser's widget fills: a challenge of the app solved
    (the proof-of-work of registering and booking, on by default)."""
    challenge = client.get("/api/v1/challenge/").json()
    found = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    payload = {**challenge, "number": found.number}
    payload.pop("maxnumber")
    return {"altcha": base64.b64encode(json.dumps(payload).encode()).decode()}


def register_and_confirm(client: httpx.Client, log: Path) -> None:
    response = submit(
        client,
        "/accounts/register/",
        {
            "email": EMAIL,
            "password": PASSWORD,
            "phone": PHONE,
            "consent": "on",
            **proof_of_work(client),
        },
    )
    assert response.headers["location"] == "/accounts/verify/"
    # The console e-mail backend printed the confirmation link.
    link = printed(log, r"https?://\S+(/accounts/verify/email/[^/\s]+/)", "confirmation link")
    assert client.get(link).status_code in (200, 302)
    # The console SMS backend printed the code.
    sms = printed(log, rf"--- SMS to {re.escape(PHONE_E164)} ---\n(.*?)\n---", "SMS code")
    code = re.search(r"\b(\d{6})\b", sms).group(1)
    submit(client, "/accounts/verify/phone/", {"code": code}, page="/accounts/verify/")
    verify = client.get("/accounts/verify/")
    assert EMAIL in verify.text or verify.status_code == 302


def free_time(client: httpx.Client) -> str:
    """The path of the confirmation page of the first free time, found by following
    the links: procedure, site, day (this week or the next few), time."""
    procedures = links(client.get("/book/"), r"^/book/[\w-]+/$")
    assert procedures, "the booking page lists no procedure"
    for procedure in procedures:
        for site in links(client.get(procedure), rf"^{re.escape(procedure)}[\w-]+/$"):
            week = client.get(site)
            for _ in range(4):
                assert week.status_code == 200, (week.url, week.text[:2000])
                for day in links(week, r"/times/\?.*date="):
                    times = links(client.get(day), r"^/slots/\d+/confirm/$")
                    if times:
                        return times[0]
                weeks = links(week, rf"^{re.escape(site)}\?from=")
                later = [u for u in weeks if u not in str(week.url)]
                if not later:
                    break
                week = client.get(urljoin(str(week.url), later[-1]))
    pytest.fail("no free time found through the pages")


def book(client: httpx.Client, confirm: str) -> str:
    """Book at ``confirm`` (entering the identity first, when the page asks);
    return the appointment's path."""
    response = client.get(confirm)
    if response.status_code == 302 and "/me/identity/" in response.headers["location"]:
        submit(
            client,
            response.headers["location"],
            {
                "surname": "Diallo",
                "given_names": "Awa",
                "birth_date": "17/05/1990",
                "nationality": "ML",
                "document_type": "agdref",
                "document_number": DOCUMENT_NUMBER,
                "certify": "on",
            },
        )
    booked = submit(client, confirm, proof_of_work(client))
    appointment = booked.headers["location"]
    assert re.fullmatch(r"/appointments/[\w-]+/", appointment), appointment
    return appointment


@pytest.fixture
def clone_parent():
    """A folder for the clone outside pytest's own, which pytest keeps (and other
    runs reset) at mode 0700: as root, the embedded server runs as a user of its
    own, who must be let through every folder above its data."""
    parent = Path(tempfile.mkdtemp(prefix="guichet-make-run-"))
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def test_make_run_books_and_cancels_on_the_embedded_database_of_a_fresh_clone(
    tmp_path, clone_parent
):
    clone = clone_parent / "guichet"
    clone.mkdir()
    clone_into(clone)
    assert not (clone / ".devdb").exists()
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
        with httpx.Client(base_url=base_url, timeout=30) as client:
            register_and_confirm(client, log)
            procedures = html.unescape(client.get("/book/").text)
            confirm = free_time(client)
            appointment = book(client, confirm)
            detail = client.get(appointment)
            assert detail.status_code == 200, detail.text[:2000]
            reference = appointment.rstrip("/").rsplit("/", 1)[1]
            assert reference in detail.text
            (cancel,) = links(detail, r"/cancel/$")
            assert submit(client, cancel, {}).headers["location"] == "/appointments/"
            after = html.unescape(client.get("/appointments/").text)
    finally:
        stop(server)
        manage(clone, "devdb", "stop")  # make's trap may not have had the time

    output = log.read_text()
    assert "pip install" not in output, "make run reinstalled into the shared virtualenv"
    assert "The embedded PostgreSQL started" in output
    assert f"Password of every demo account: {DEMO_PASSWORD}" in output
    assert "Guichet" in home.text
    for procedure in PROCEDURES:
        assert procedure["name"] in procedures, procedure["slug"]
    assert reference in after

    # A second start reuses the data: the demo, the new account, its cancelled booking.
    assert "started" in manage(clone, "devdb", "start")
    try:
        url = manage(clone, "devdb", "url").strip()
        assert f"host={clone / '.devdb' / 'data'}" in url
        with psycopg.connect(url) as db:
            sites = {row[0] for row in db.execute("SELECT slug FROM booking_site")}
            demo = db.execute(
                "SELECT role FROM accounts_user WHERE email = 'agent@demo.guichet.test'"
            ).fetchone()
            status = db.execute(
                "SELECT a.status FROM booking_appointment a "
                "JOIN booking_applicant p ON p.id = a.applicant_id "
                "JOIN accounts_user u ON u.id = p.user_id WHERE u.email = %s",
                [EMAIL],
            ).fetchall()
    finally:
        manage(clone, "devdb", "stop")
    assert sites == {"bobigny", "le-raincy", "saint-denis"}
    assert demo == ("agent",)
    assert status == [("cancelled",)]
