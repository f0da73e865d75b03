"""The soak's processes: the environment of gunicorn and the Celery worker
(the soak's Redis database, the delivery doubles, generous rate limits), the
static files they serve, the traffic's own process, and what their logs say."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench import common
from bench.soak.delivery import FakeTwilio, SmtpInbox
from bench.soak.world import QUEUE_PROCEDURE, SITES

# Rate limits (``RATELIMITS`` in config/settings.py) stay on, counted in Redis
# as in production, but generous: the soak plays hundreds of applicants from
# one address, and a 429 fails it.
GENEROUS = "1000000/m"
GENEROUS_LIMITS = {
    f"RATELIMIT_{name}": GENEROUS
    for name in (
        "LOGIN_IP",
        "REGISTER_IP",
        "PHONE_CODE_ACCOUNT",
        "PHONE_CODE_PHONE",
        "PHONE_CODE_IP",
        "EMAIL_CONFIRM_ACCOUNT",
        "EMAIL_CONFIRM_EMAIL",
        "EMAIL_CONFIRM_IP",
        "AVAILABILITY_ACCOUNT",
        "AVAILABILITY_IP",
        "BOOKING_ACCOUNT",
        "BOOKING_IP",
        "SUBSTITUTION_IP",
        "SUBSTITUTION_IDENTITY",
        "SUBSTITUTION_PHONE",
        "SUBSTITUTION_EMAIL",
        "SUBSTITUTION_STATUS_IP",
        "WAITLIST_JOIN_ACCOUNT",
        "WAITLIST_JOIN_IP",
        # The agent's court orders and closures (a 10-minute run makes more
        # closures than the 30 an hour an agent may).
        "INJUNCTIONS_ACCOUNT",
        "INJUNCTIONS_IP",
        "CLOSURES_ACCOUNT",
        "CLOSURES_IP",
    )
}
# The mediator plays every walk-in of the soak: the daily caps (a broker's limit)
# would stop it within seconds. Their concurrency is tested in tests/mediation.
GENEROUS_CAPS = {
    "MEDIATION_DAILY_CAP_PER_MEDIATOR": "1000000",
    "MEDIATION_DAILY_CAP_PER_POINT": "1000000",
}


def delivery_env(twilio: FakeTwilio, smtp: SmtpInbox, redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,  # the cache, shared by the web workers as in production
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+33700000000",
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE_URL": twilio.url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "false",
        "PUBLIC_BASE_URL": "https://rdv.example.gouv.fr",
        **GENEROUS_LIMITS,
        **GENEROUS_CAPS,
    }


def collectstatic(url: str, root: str) -> None:
    """The pages need the fingerprinted static files, collected as the image
    build does (DEBUG off: no finders)."""
    subprocess.run(
        [common.PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=common.ROOT,
        env={**os.environ, **common.app_env(url), "STATIC_ROOT": root},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def traffic_run(base: str, setup: dict, args: argparse.Namespace) -> dict:
    spec = {
        "base": base,
        "seconds": args.seconds,
        "rate": args.rate,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "procedures": setup["slots"],
        "sites": list(SITES),
        "applicants": setup["tokens"],
        "walk_ins": setup["walk_ins"],
        "queue": {"procedure": QUEUE_PROCEDURE, "sites": list(SITES)},
        "waitlisters": setup["waitlisters"],
        "walk_in_waitlisters": setup["walk_in_waitlisters"],
        "agent": setup["agent"],
        "queue_slots": setup["queue_slots"],
    }
    with tempfile.TemporaryDirectory(prefix="guichet-soak-") as tmp:
        spec_path, out = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        subprocess.run(
            [common.PYTHON, "-m", "bench.soak.traffic", str(spec_path), str(out)],
            cwd=common.ROOT,
            check=True,
            timeout=args.seconds + 300,
        )
        return json.loads(out.read_text())


def logged_problems(worker_log: str, server: common.Server) -> list[str]:
    """Tracebacks in the Celery worker's log (the first one printed), errors in
    gunicorn's."""
    problems = []
    tracebacks = worker_log.count("Traceback")
    if tracebacks:
        problems.append(f"the Celery worker logged {tracebacks} tracebacks")
        print(worker_log[worker_log.find("Traceback") :][:2000])
    gunicorn_log = server.log.read_text(errors="replace") if server.log else ""
    if "Traceback" in gunicorn_log or "WORKER TIMEOUT" in gunicorn_log:
        problems.append("gunicorn logged errors: " + gunicorn_log[-1500:])
    return problems
