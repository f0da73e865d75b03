"""The baseline: the least Django that does the work, against the same database.

No middleware, no authentication, no DRF: what the stack (gunicorn, Django's
request cycle, the ORM, psycopg, PostgreSQL) costs on its own. The real app is
judged by its ratio to this, measured in the same run.
"""

import os

import environ

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")
INSTALLED_APPS = ["bench.baseline"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.urls"
WSGI_APPLICATION = "bench.baseline.wsgi.application"
DATABASES = {"default": environ.Env().db_url_config(os.environ["DATABASE_URL"])}
# Persistent connections, as in the real app (and as the figures assume).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
USE_TZ = True
TIME_ZONE = "Europe/Paris"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False}
