"""Guichet settings: one module, everything read from the environment.

The defaults make a fresh clone run on an embedded PostgreSQL (core/devdb.py,
docs/devdb.md) with Celery eager and SMS and e-mail printed to the console.
Production sets DEBUG=false and must then give a real SECRET_KEY and a
DATABASE_URL (see docs/configuration.md and .env.example).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_networks, env_str
from core import devdb
from notifications.delivery import delivery_problems

BASE_DIR = Path(__file__).resolve().parent.parent
# A local .env (see .env.example) is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env")

_DEV_SECRET_KEY = "django-insecure-guichet-development-key-do-not-use-in-production"  # noqa: S105 - refused when DEBUG is off

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DEBUG is off: set SECRET_KEY to a random value of at least 50 characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    # Otherwise every request would get a 400 while the process looks healthy.
    raise ImproperlyConfigured(
        "DEBUG is off: set ALLOWED_HOSTS to the public host name(s), comma-separated."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "django_countries",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "core",
    "accounts",
    "mediation",
    "booking",
    "allocation",
    "notifications",
    "audit",
    "privacy",
    "substitution",
    "demo",
    "backoffice",
    "attempts",
]

# accounts.fastlane.*: Django's (and others') middleware, passed by for the API's token
# clients, who use no session, messages... (see accounts/fastlane.py). CSRF and
# X-Frame-Options stay Django's own, as the deployment checks want them.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that renders a page, so that every page gets the header.
    "core.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.fastlane.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Sets the language cookie to the account's at login (accounts/language.py).
    "accounts.language.LanguageCookieMiddleware",
    # The client's address, once for everything below (rate limits, axes, audit);
    # a request whose address cannot be determined is refused here (core/client.py).
    "core.client.ClientAddressMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.fastlane.AuthenticationMiddleware",
    "accounts.fastlane.OTPMiddleware",
    # Holds a session that has yet to pass the second factor (staff always).
    "accounts.fastlane.OtpRequiredMiddleware",
    "accounts.fastlane.MessageMiddleware",
    # Each request of a logged-in person pushes the end of their session back.
    "accounts.fastlane.SlidingSessionMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a RateLimited raised by a page or a service into the 429 page.
    "core.ratelimit.RateLimitedMiddleware",
    # Replaces the answer to a login refused by a lock-out with the lock-out page.
    "axes.middleware.AxesMiddleware",
    # Last, so that its process_exception sees a view's database error first: 503.
    "core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
            # ``|fr`` and ``|ltr`` (RGAA 8.7, 8.10) in every template.
            "builtins": ["core.templatetags.data_language"],
        },
    }
]

# --- Database ----------------------------------------------------------------
# PostgreSQL only: its constraints, triggers and one-statement booking are the guarantees.
_DATABASE_URL = env_str("DATABASE_URL", "")
if not _DATABASE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DEBUG is off: set DATABASE_URL (postgres://user:password@host:5432/name)."
        )
    # Development: the embedded server in .devdb/ (`manage.py devdb start`; make run
    # starts it). Only its address here: nothing connects at import.
    _DATABASE_URL = devdb.url()
DATABASES = {"default": environ.Env.db_url_config(_DATABASE_URL)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://...).")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60, minimum=0)
# Off by default: a check is a round trip before each request's first query. Without
# it, a connection the server dropped fails one request (503, see
# core.middleware) and is closed at the end of that request; with it, that request
# reconnects instead.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", False)
# Lets core.db.prepared_cursor() prepare the hot paths' statements. Django's own
# cursors bind client-side and never prepare, whatever this says.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
# No JIT compilation: a query the planner estimates costly (the dashboard's over a
# busy year) spent up to a second compiling for a few hundred ms of work, and this
# app's other queries are too short to gain from it (docs/benchmarks/2026-12-04-dashboard.md).
DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "Guichet"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out e-mail + address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Counts login attempts per client address (RATELIMIT_LOGIN_IP), for every way in.
    "core.ratelimit.LoginRateLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "booking:my_appointments"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
API_TOKEN_TTL = timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 7, minimum=1))
# Rows per page of the API's lists (core/pagination.py), and the most a client
# may ask for with ?page_size= (a larger value gets this many).
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200, minimum=1)
if API_MAX_PAGE_SIZE < API_PAGE_SIZE:
    raise ImproperlyConfigured("API_MAX_PAGE_SIZE must be at least API_PAGE_SIZE.")
PASSWORD_RESET_TIMEOUT = 3600 * 24

# --- Guichet's own rules and limits ---------------------------------------------
# Each read from the environment like everything here: the booking, accounts,
# notifications, mediation and back-office rules in config/rules.py, the rate
# limits of every scope in config/ratelimits.py.
from config.ratelimits import RATELIMITS  # noqa: E402, F401
from config.rules import *  # noqa: E402, F403

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "fr"
# Adding a language: a line here, then `make messages` and its catalogue translated
# (docs/translations.md). Nothing else lists the languages.
LANGUAGES = [("fr", _("French")), ("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves the collected, fingerprinted files from the app itself: no
# reverse-proxy configuration needed, and far-future caching is safe.
WHITENOISE_USE_FINDERS = DEBUG  # `make run` serves static/ without collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# django-dsfr puts integrity="sha384-..." on its stylesheets, computed on the files as
# shipped; collectstatic rewrites their url(...) to the fingerprinted names, so the
# browser refused DSFR's CSS in production. The files come from this very site, under
# names that are their own hash: the integrity attribute guards nothing here.
DSFR_USE_INTEGRITY_CHECKSUMS = False

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
# A session ends after this long without activity; each request pushes the end back
# (accounts.idle, saving at most once per SESSION_REFRESH_SECONDS). The forms announce it
# (RGAA 13.1). The row and cookie outlive the announced limit by the refresh interval.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60, minimum=5)
SESSION_REFRESH_SECONDS = 5 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60 + SESSION_REFRESH_SECONDS
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# The preload directive only says the domain consents to the browsers' HSTS preload
# list; being listed still needs a submission by whoever owns the domain.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies in front of gunicorn (networks, comma-separated CIDR; a bad
# one stops the process). From one of them, the client's address is read from
# X-Forwarded-For (its right-most entry that is not a trusted proxy); from any
# other peer the header is ignored. Empty: the socket peer is the client.
# core/client.py; docs/security.md and docs/deployment.md.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Brute force on passwords (django-axes). A login is locked after AXES_FAILURE_LIMIT
# failures for one e-mail address *from one client address* (the combination):
# locking the address alone would lock out a whole France Services point or a
# mobile carrier's shared address, and locking the e-mail alone would let anyone
# lock a victim out from anywhere. Guessing one password from many addresses is
# slowed by the per-address rate limit on logins, Argon2 and the password
# validators, and staff also need their second factor. A failure while locked
# starts the wait again (bots that keep trying stay locked); a success clears the
# failures; a completed password reset by e-mail, or a supervisor, unlocks.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "core.client.served_client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Failures are kept (AccessAttempt, visible to superusers in the admin) only for
# the cool-off; no log of every successful login (personal data nobody reads).
AXES_DISABLE_ACCESS_LOG = True
AXES_HTTP_RESPONSE_CODE = 429

# Content-Security-Policy (django-csp): no inline script nor inline style anywhere;
# the API's interactive documentation alone allows its one inline <style> by
# nonce (config/api_urls.py). The e-mails' inline styles are not served as pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Cache --------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, reusing one Redis client per pool instead of one per operation.
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------
# No broker configured (the embedded default): tasks run eagerly in-process. The
# rest (time limits, the broker's timeouts, the beat's schedule): config/celery_settings.py.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
from config.celery_settings import *  # noqa: E402, F403

# --- E-mail and SMS -------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Guichet <ne-pas-repondre@guichet.localhost>")
SMS_BACKEND = env_str("SMS_BACKEND", "console")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
if SMS_BACKEND not in ("console", "twilio"):
    raise ImproperlyConfigured("SMS_BACKEND must be console or twilio.")
# With DEBUG off, messages must really be sent: a console (or in-memory, dummy,
# file) transport would put confirmation and reset links in the log. Also a
# `check --deploy` error (notifications/checks.py).
if _delivery_problems := delivery_problems(
    debug=DEBUG, email_backend=EMAIL_BACKEND, sms_backend=SMS_BACKEND
):
    raise ImproperlyConfigured(" ".join(_delivery_problems.values()))
# Another base URL for Twilio's REST API (a test double); empty: Twilio itself.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
TWILIO_TIMEOUT_SECONDS = 10
# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "booking.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # The views' throttle_scope names a RATELIMITS scope (core/ratelimit.py).
    "DEFAULT_THROTTLE_CLASSES": ["core.ratelimit.ScopedRateLimit"],
    "DEFAULT_PAGINATION_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Guichet API",
    "DESCRIPTION": "Appointments at the prefecture's foreigners' service.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # The slot pools, named once (agents' capacity API: pool, from_pool, to_pool).
        "PoolEnum": "booking.models.Pool",
        # Three fields named "kind": a closure's, a publication's visibility, a figure's.
        "ClosureKindEnum": "booking.models.closures.ClosureKind",
        "VisibilityKindEnum": [("now", "now"), ("at", "at"), ("random", "random")],
        "FigureKindEnum": [("count", "count"), ("rate", "rate"), ("days", "days")],
        # The waiting list's statuses, named apart from the appointments'.
        "AppointmentStatusEnum": "booking.models.AppointmentStatus",
        "WaitlistEntryStatusEnum": "allocation.models.EntryStatus",
        "OfferStatusEnum": "allocation.models.OfferStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No token of a link in the log (config/log_filters.py).
    "filters": {"mask_tokens": {"()": "config.log_filters.MaskTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_tokens"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Lock-outs and failures are warnings; its info lines are noise.
        "axes": {"level": "WARNING"},
        # A 4xx is an answer, not an incident: a release storm refuses thousands of
        # bookings with 409 and each would be a log line. 5xx are still logged.
        "django.request": {"level": "ERROR"},
    },
}
