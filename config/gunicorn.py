"""Gunicorn's configuration for production (Dockerfile, docker-compose.yml):
``gunicorn config.wsgi:application --config=config/gunicorn.py``.

The access log keeps secrets out: links sent by e-mail carry a token in their
path (the e-mail confirmation, the password reset, the alert unsubscribe), and
whoever reads the log could follow them. ``MaskingLogger`` masks those path
segments, and every query-string value (names kept), in the request line, the
path, the query string and the ``Referer`` (the page a token link opens sends
it with its next requests). The prefixes below follow the ``urls.py`` files;
``tests/test_production_defaults.py`` checks them against the URLs Django builds.

Loaded by gunicorn's master before any worker: no Django import here.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

MASK = "***"
# The path segments after these prefixes are secrets, but for the words below.
SECRET_PATHS = (
    "/accounts/verify/email/",  # accounts:email_confirm <token>
    "/accounts/password/reset/",  # accounts:password_reset_confirm <uidb64>/<token>
    "/notifications/alerts/stop/",  # notifications:alert_unsubscribe <token>
)
PLAIN_SEGMENTS = frozenset({"", "sent", "done", "set-password"})


def mask_path(path: str) -> str:
    for prefix in SECRET_PATHS:
        at = path.find(prefix)
        if at != -1:
            start = at + len(prefix)
            segments = path[start:].split("/")
            masked = [s if s in PLAIN_SEGMENTS else MASK for s in segments]
            return path[:start] + "/".join(masked)
    return path


def mask_query(query: str) -> str:
    if not query:
        return query
    return "&".join(
        f"{name}={MASK}" if sep else name
        for name, sep, _value in (item.partition("=") for item in query.split("&"))
    )


def mask_uri(uri: str) -> str:
    """A path or a full URL, with its query."""
    path, sep, query = uri.partition("?")
    return mask_path(path) + sep + mask_query(query)


class MaskingLogger(Logger):
    """Gunicorn's logger, with the secrets of URLs masked in the access log."""

    def atoms(self, resp, req, environ, request_time):
        masked = dict(environ)
        for key in ("RAW_URI", "REQUEST_URI", "HTTP_REFERER"):
            if isinstance(masked.get(key), str):
                masked[key] = mask_uri(masked[key])
        if isinstance(masked.get("PATH_INFO"), str):
            masked["PATH_INFO"] = mask_path(masked["PATH_INFO"])
        if isinstance(masked.get("QUERY_STRING"), str):
            masked["QUERY_STRING"] = mask_query(masked["QUERY_STRING"])
        atoms = super().atoms(resp, req, masked, request_time)
        # The request headers again, as "{name}i" atoms.
        if isinstance(atoms.get("{referer}i"), str):
            atoms["{referer}i"] = mask_uri(atoms["{referer}i"])
        return atoms


# Settings (the command line wins over them).
bind = "0.0.0.0:8000"
accesslog = "-"
logger_class = MaskingLogger
