"""A real Celery worker on Redis, started by a test, for the end-to-end tests.

Each pytest-xdist worker uses its own Redis database (5 + its number), so two
test processes never share a queue. The Celery worker runs
``config.settings`` (not the test settings, which force eager tasks) against
the test's own PostgreSQL database.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_db() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 5 + int(worker.removeprefix("gw") or 0)


def broker_url() -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db()}"


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    socket_dir = db.get("OPTIONS", {}).get("host")  # the embedded server (core/devdb.py)
    if not db.get("HOST") and socket_dir:
        return f"postgres://{db['USER']}{password}@/{db['NAME']}?host={socket_dir}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@contextmanager
def app_broker(url: str):
    """Point this process's Celery app at ``url``, not eager, then restore it."""
    from config.celery import app

    # Imported here: bench.soak imports this module before Django is set up,
    # and the outbox package loads its models.
    from notifications.outbox import publisher

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    _reset_pools(app)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        # What was committed meanwhile goes to ``url`` (or fails there), not
        # to the broker restored next.
        publisher.flush(timeout=10)
        _reset_pools(app)
        app.conf.broker_url, app.conf.task_always_eager = saved


def _reset_pools(app) -> None:
    # Close every kombu pool and forget them: they are keyed by broker URL.
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


class Worker:
    """``celery -A config worker`` as a subprocess in its own process group."""

    def __init__(
        self, *, env: dict[str, str], concurrency: int = 1, program: list[str] | None = None
    ) -> None:
        self.env = env
        self.concurrency = concurrency
        # What runs ``celery``'s command line: the ``celery`` script beside this
        # Python, or a module that prepares the worker first (``bench.soak.worker``).
        self.program = program or [str(Path(sys.executable).with_name("celery"))]
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="celery-worker-", suffix=".log", delete=False
        )

    def start(self, timeout: float = 60) -> Worker:
        self.log.seek(0)
        self.log.truncate()
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                *self.program,
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The worker exited:\n{self.output()}")
            if " ready." in self.output():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"The worker did not start:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def worker_env(*, fake_twilio, smtp_port: int) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONDONTWRITEBYTECODE="1",
        DEBUG="true",
        DATABASE_URL=_database_url(),
        CONN_MAX_AGE="0",
        REDIS_URL="",
        CELERY_BROKER_URL=broker_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=fake_twilio.account_sid,
        TWILIO_AUTH_TOKEN=fake_twilio.auth_token,
        TWILIO_FROM_NUMBER="+33700000000",
        TWILIO_MESSAGING_SERVICE_SID="",
        TWILIO_API_BASE_URL=fake_twilio.url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="false",
        PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL,
        LOG_LEVEL="INFO",
    )
    return env


def flush_broker() -> None:
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db()).flushdb()


def queued_tasks(queue: str = "celery") -> list[tuple[str, list]]:
    """The tasks waiting in the broker's ``queue``, oldest first: (name, args)."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db())
    tasks = []
    # kombu's Redis transport pushes on the left and pops on the right.
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], body[0]))
    return tasks


def wait_for(predicate, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {predicate}")
