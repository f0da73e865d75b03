"""Test settings: the suite runs on PostgreSQL. DATABASE_URL when it is set;
otherwise the machine's server (TEST_SYSTEM_DATABASE_URL, 127.0.0.1:5432 by
default) when it answers, and the embedded one (core/devdb.py) when it does not.
`make test` starts whichever is missing (scripts/ensure-test-services.sh)."""

import os

from core import devdb

if not os.environ.get("DATABASE_URL"):
    _system = os.environ.get("TEST_SYSTEM_DATABASE_URL") or (
        "postgres://postgres@127.0.0.1:5432/guichet"
    )
    os.environ["DATABASE_URL"] = _system if devdb.answers(_system) else devdb.url()
os.environ.setdefault("DEBUG", "true")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CONN_MAX_AGE = 0
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# runserver and live_server serve static files from the finders; WhiteNoise only
# serves what collectstatic gathered, which tests never run.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
# Rate limits out of the way of the rest of the suite (the locmem cache lives as long
# as the process); the tests of the limits set low ones (override_settings) on a
# cleared cache.
RATELIMITS = {
    scope: dict.fromkeys(rates, (10**9, 1))
    for scope, rates in RATELIMITS.items()  # noqa: F405
}
# The open procedures' protections against resale out of the way of the rest of
# the suite (a freed seat shown again at once, no wait after a cancellation);
# their own tests set them (tests/booking/test_resale_protections.py).
FREED_SEAT_DELAY_MAX_MINUTES = 0
CANCEL_COOLING_HOURS = 0
# The proof-of-work off for the rest of the suite (its forms and API are posted
# without a solution); its own tests turn it on with real values
# (tests/core/test_antibot.py, override_settings). Cheap when they do.
ANTIBOT_ENABLED = False
ANTIBOT_MAX_NUMBER = 1000
ANTIBOT_NOSCRIPT_WAIT_SECONDS = 0
