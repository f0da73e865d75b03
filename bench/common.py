"""What every HTTP benchmark shares: the machine, the bench database, the
gunicorn servers and the load generator.

The machine is shared and noisy, so a benchmark never trusts an absolute
figure: it serves the real app and ``bench.baseline`` side by side with the
same gunicorn configuration against the same database, and loads them in
alternation within one run. Only ratios are compared with targets.
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
WORKERS = 4


def machine() -> str:
    """Cores and CPU model, printed by every benchmark with its figures."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def header(title: str) -> None:
    print(f"== {title}")
    print(f"   machine: {machine()}")
    print(f"   date:    {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


# --- The bench database ------------------------------------------------------------


def database_url(name: str) -> str:
    """``DATABASE_URL`` for database ``name`` on the server of ``BENCH_DATABASE_URL``."""
    server = urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER_URL))
    return urlunsplit(server._replace(path=f"/{name}"))


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def drop_database(name: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def bench_database(name: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh, migrated database ``name``, dropped afterwards (unless ``keep``)."""
    drop_database(name)
    _admin_sql(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **app_env(url)},
            check=True,
        )
        yield url
    finally:
        broker_purge()
        if not keep:
            drop_database(name)


BENCH_RATELIMITS = (
    "RATELIMIT_LOGIN_IP",
    "RATELIMIT_AVAILABILITY_ACCOUNT",
    "RATELIMIT_AVAILABILITY_IP",
    "RATELIMIT_BOOKING_ACCOUNT",
    "RATELIMIT_BOOKING_IP",
)


def app_env(database: str, **extra: str) -> dict[str, str]:
    """Production-like settings for the real app (and the baseline): DEBUG off,
    persistent connections, no HTTPS redirect (the load comes over plain HTTP)."""
    return {
        "DATABASE_URL": database,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
        "LOG_LEVEL": "WARNING",
        # DEBUG off refuses the console transports. Nothing is sent: no worker
        # takes the tasks (the soak, which runs one, gives its own doubles).
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "SMS_BACKEND": "twilio",
        "REDIS_URL": "",
        # Tasks are queued, as in production, but no worker takes them: the
        # benchmark measures the web process, and the queue is emptied after.
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": broker_url(),
        # The load comes from one address and reuses its accounts: raised rate limits
        # (still counted, so their cost is measured) instead of refusals.
        **dict.fromkeys(BENCH_RATELIMITS, "1000000/m"),
        # The proof-of-work costs the clients, not the server (bench/pow measures
        # both: well under a millisecond to verify); the load generators do not solve it.
        "ANTIBOT_ENABLED": "false",
        # The open procedures' protections against resale (a freed seat shown after
        # a random delay, no rebooking after a cancellation) have their own tests;
        # the soak's traffic cancels and rebooks as people did before them.
        "FREED_SEAT_DELAY_MAX_MINUTES": "0",
        "CANCEL_COOLING_HOURS": "0",
        **extra,
    }


def broker_url() -> str:
    """``BENCH_BROKER_URL``, else a Redis database of its own if Redis answers
    locally, else Celery's in-memory transport."""
    if url := os.environ.get("BENCH_BROKER_URL"):
        return url
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), 1):
        return "redis://127.0.0.1:6379/13"
    return "memory://"


def redis_env() -> dict[str, str]:
    """``REDIS_URL`` for a server that should share its cache through Redis, as
    in production (empty without Redis: a per-process cache)."""
    url = broker_url()
    return {"REDIS_URL": url if url.startswith("redis://") else ""}


def broker_purge() -> None:
    """Drop what the benchmark queued or cached (only in the bench's own Redis
    database)."""
    url = broker_url()
    if not url.startswith("redis://"):
        return
    import redis

    client = redis.Redis.from_url(url)
    with contextlib.suppress(redis.RedisError):
        for pattern in ("*celery*", "*guichet:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)


def django_setup(database: str) -> None:
    """Use the real app's ORM in this process (setup and checks, never under load)."""
    os.environ.update(app_env(database))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- The demo data ------------------------------------------------------------------

# Every bench account's password (the benches log in with API tokens).
BENCH_PASSWORD = "bench-storm-password-93"


def demo_seed(*, applicants: int) -> None:
    """The demo (sites, procedures, staff, one week of capacity) and numbered
    applicants applicant1..``applicants``, verified and with identities, seeded
    in this process (after ``django_setup``): ``manage.py seed_demo --force``."""
    from demo.seed import demo_seed as seed

    seed(applicants=applicants, weeks=1, password=BENCH_PASSWORD, force=True)


def demo_applicants_with_tokens(count: int, *, label: str = "bench") -> list[tuple[int, str]]:
    """The first ``count`` applicants ``demo_seed`` made (``applicantN@``), each
    with an API token: ``(applicant id, token key)``, in the order of their ids.
    Exits when the seed made fewer."""
    from booking.models import Applicant

    people = list(
        Applicant.objects.filter(user__email__regex=r"^applicant\d+@")
        .order_by("pk")
        .values_list("pk", "user_id")[:count]
    )
    if len(people) < count:
        raise SystemExit(f"demo_seed made {len(people)} applicants, not {count}")
    keys = api_tokens_create([user_id for _, user_id in people], label=label)
    return [(pk, keys[user_id]) for pk, user_id in people]


def api_tokens_create(user_ids, *, label: str) -> dict[int, str]:
    """One API token per account, in bulk (after ``django_setup``); returns the
    keys by user id. The hashing and expiry are the app's own."""
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import ApiToken

    now = timezone.now()
    keys = {user_id: f"{label}-{user_id}-{secrets.token_hex(16)}" for user_id in user_ids}
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                digest=ApiToken.digest_of(key),
                prefix=key[:8],
                created_at=now,
                expires_at=now + settings.API_TOKEN_TTL,
            )
            for user_id, key in keys.items()
        ],
        batch_size=1000,
    )
    return keys


# --- Servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    wsgi: str
    settings: str
    port: int = 0
    process: subprocess.Popen | None = None
    log: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _wait_listening(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process and server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not start in {timeout:.0f} s; see {server.log}")


@contextlib.contextmanager
def servers(database: str, *specs: Server) -> Iterator[list[Server]]:
    """Start each server under the same gunicorn configuration (4 sync workers,
    127.0.0.1 only) and stop them all on the way out, even on failure."""
    started: list[Server] = []
    logdir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    try:
        for spec in specs:
            spec.port = spec.port or free_port()
            spec.log = logdir / f"{spec.name}.log"
            env = {
                **os.environ,
                **app_env(database),
                "DJANGO_SETTINGS_MODULE": spec.settings,
                **spec.extra_env,
            }
            if profile := os.environ.get("BENCH_CPU_PROFILE"):
                # Each worker samples its own CPU by request path (bench.cpu_profile).
                from bench.cpu_profile import SITE

                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [str(SITE), env.get("PYTHONPATH", "")])
                )
                env["GUICHET_CPU_PROFILE_DIR"] = str(Path(profile) / spec.name)
            spec.process = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    spec.wsgi,
                    "--workers",
                    str(WORKERS),
                    "--worker-class",
                    "sync",
                    "--bind",
                    f"127.0.0.1:{spec.port}",
                    "--backlog",
                    "2048",
                    "--timeout",
                    "60",
                    "--log-level",
                    "warning",
                    "--chdir",
                    str(ROOT),
                ],
                env=env,
                stdout=spec.log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            started.append(spec)
        for spec in started:
            _wait_listening(spec)
        yield started
    finally:
        for spec in started:
            stop(spec)


def stop(server: Server) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


# Measuring (``bench.measure``), re-exported: the benchmarks say ``common.load``.
from bench.measure import (  # noqa: E402, F401
    Result,
    cpu_snapshot,
    cpu_spent,
    load,
    ms,
    percentile,
)
