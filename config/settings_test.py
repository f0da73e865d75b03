"""Test settings: the suite runs on PostgreSQL (DATABASE_URL, default below)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guichet")
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
