"""Production refuses transports that send nothing, and gunicorn's access log
does not keep the tokens of the links sent by e-mail (config/gunicorn.py)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.checks import run_checks
from django.urls import reverse
from gunicorn.config import Config

from config.gunicorn import MASK, MaskingLogger, mask_uri
from config.log_filters import MaskTokens
from tests.helpers.settings_process import ROOT, django_setup, production_key

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
TOKEN = "b0n-j0ur:1tW3xY:Zk9secretSECRET42"


def _delivery_errors() -> list:
    return [
        error
        for error in run_checks(include_deployment_checks=True)
        if error.id.startswith("notifications.E10")
    ]


# --- Transports that send nothing ------------------------------------------------------


@pytest.mark.parametrize(
    ("email_backend", "sms_backend", "refused"),
    [
        (CONSOLE_EMAIL, "twilio", ["EMAIL_BACKEND"]),
        ("django.core.mail.backends.locmem.EmailBackend", "twilio", ["EMAIL_BACKEND"]),
        ("django.core.mail.backends.dummy.EmailBackend", "twilio", ["EMAIL_BACKEND"]),
        ("django.core.mail.backends.filebased.EmailBackend", "twilio", ["EMAIL_BACKEND"]),
        (SMTP, "console", ["SMS_BACKEND"]),
        (CONSOLE_EMAIL, "console", ["EMAIL_BACKEND", "SMS_BACKEND"]),
    ],
)
def test_the_deploy_check_refuses_a_transport_that_sends_nothing(
    settings, email_backend, sms_backend, refused
):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = email_backend
    settings.SMS_BACKEND = sms_backend

    errors = _delivery_errors()

    assert [name for error in errors for name in refused if name in error.msg] == refused
    ids = {"EMAIL_BACKEND": "notifications.E101", "SMS_BACKEND": "notifications.E102"}
    assert [error.id for error in errors] == [ids[name] for name in refused]
    assert all(error.is_serious() for error in errors)


def test_the_deploy_check_passes_with_smtp_and_twilio(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = SMTP
    settings.SMS_BACKEND = "twilio"

    assert _delivery_errors() == []


def test_the_console_transports_are_fine_for_development(settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = CONSOLE_EMAIL
    settings.SMS_BACKEND = "console"

    assert _delivery_errors() == []


def test_debug_off_with_the_console_transports_refuses_to_start():
    production = {
        "DEBUG": "false",
        "SECRET_KEY": production_key(),
        "ALLOWED_HOSTS": "a.example",
        "DATABASE_URL": "postgres://guichet@db.a.example:5432/guichet",
    }

    for variables, refused in (
        ({}, ("EMAIL_BACKEND=" + CONSOLE_EMAIL, "SMS_BACKEND=console")),
        ({"SMS_BACKEND": "twilio"}, ("EMAIL_BACKEND=" + CONSOLE_EMAIL,)),
        ({"EMAIL_BACKEND": SMTP}, ("SMS_BACKEND=console",)),
    ):
        result = django_setup(**production, **variables)

        assert result.returncode != 0, variables
        assert "ImproperlyConfigured: DEBUG is off" in result.stderr
        for name in refused:
            assert name in result.stderr, (variables, name)

    started = django_setup(**production, EMAIL_BACKEND=SMTP, SMS_BACKEND="twilio")
    assert started.returncode == 0, started.stderr


# --- The access log ------------------------------------------------------------------


def token_urls() -> dict[str, str]:
    """The links with a secret that Guichet sends, as Django builds them."""
    return {
        "email confirmation": reverse("accounts:email_confirm", args=[TOKEN]),
        "password reset": reverse("accounts:password_reset_confirm", args=["MTIzNDU", TOKEN]),
        "unsubscribe": reverse("notifications:alert_unsubscribe", args=[TOKEN]),
    }


def _access_line(tmp_path, environ: dict, headers: list[tuple[str, str]]) -> str:
    cfg = Config()
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(U)s ?%(q)s "%(f)s" "%({referer}i)s"')
    logger = MaskingLogger(cfg)
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=headers)
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


@pytest.mark.parametrize("kind", ["email confirmation", "password reset", "unsubscribe"])
def test_the_access_log_masks_the_token_of_a_link(tmp_path, kind):
    path = token_urls()[kind]
    referer = f"https://guichet.example.org{path}?next=/{TOKEN}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?key={TOKEN}",
        "PATH_INFO": path,
        "QUERY_STRING": f"key={TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "172.30.0.1",
        "HTTP_REFERER": referer,
    }

    line = _access_line(tmp_path, environ, [("REFERER", referer)])

    assert TOKEN not in line, line
    assert "MTIzNDU" not in line
    assert line.count(MASK) >= 6
    assert line.startswith('172.30.0.1 "GET /')


@pytest.mark.parametrize("kind", ["email confirmation", "password reset", "unsubscribe"])
def test_the_application_log_masks_the_token_of_a_link(kind):
    """Django logs the path of a 5xx; the console handler masks its token."""
    path = token_urls()[kind]
    console = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, MaskTokens) for f in handler.filters)
    ]
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", (path,), None
    )

    assert len(console) == 1
    assert console[0].filter(record)
    assert TOKEN not in record.getMessage()
    assert MASK in record.getMessage()


def test_the_access_log_keeps_other_paths_and_the_names_of_parameters():
    assert mask_uri("/book/titre-sejour/bobigny/?day=2026-12-03&x") == (
        f"/book/titre-sejour/bobigny/?day={MASK}&x"
    )
    assert mask_uri("/accounts/password/reset/sent/") == "/accounts/password/reset/sent/"
    assert mask_uri("/accounts/password/reset/MTIzNDU/set-password/") == (
        f"/accounts/password/reset/{MASK}/set-password/"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_started_with_the_config_file_logs_no_token(tmp_path):
    (tmp_path / "hello.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n"
    )
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--config={ROOT / 'config' / 'gunicorn.py'}",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            f"--pythonpath={tmp_path}",
            "hello:app",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}{token_urls()['email confirmation']}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    assert answer.read() == b"ok"
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)

    assert "GET /accounts/verify/email/" in output, output
    assert f"/accounts/verify/email/{MASK}/" in output
    assert TOKEN not in output
