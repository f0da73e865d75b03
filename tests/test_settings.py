"""Settings come from the environment, strictly: a typo stops the process at start-up.

Each check that loads ``config.settings`` runs in a subprocess with a clean
environment, so neither the test settings nor a developer's ``.env`` leak in.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from tests.helpers.settings_process import (
    ROOT,
    django_setup,
    production_key,
    run_settings,
    settings_variables,
)

_DOTENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def env_example_variables() -> set[str]:
    return set(_DOTENV_LINE.findall((ROOT / ".env.example").read_text()))


def test_settings_read_every_variable_the_documentation_lists():
    # A guard on the parser itself: if it found nothing, the tests below would prove nothing.
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= (
        settings_variables()
    )


def test_debug_off_without_a_real_secret_key_refuses_to_start():
    result = django_setup(DEBUG="false", ALLOWED_HOSTS="guichet.example.org")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG is off: set SECRET_KEY" in result.stderr


def test_debug_off_with_a_short_secret_key_refuses_to_start():
    result = django_setup(DEBUG="false", SECRET_KEY="x" * 49, ALLOWED_HOSTS="guichet.example.org")

    assert result.returncode != 0
    assert "DEBUG is off: set SECRET_KEY" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = django_setup(DEBUG="false", SECRET_KEY=production_key())

    assert result.returncode != 0
    assert "DEBUG is off: set ALLOWED_HOSTS" in result.stderr


def test_a_misspelt_boolean_stops_the_process():
    result = django_setup(DEBUG="flase")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='flase' is not a boolean" in result.stderr


def test_a_bad_integer_stops_the_process():
    result = django_setup(EMAIL_PORT="twenty-five")

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_PORT='twenty-five' is not an integer" in result.stderr


def test_an_integer_below_its_minimum_stops_the_process():
    result = django_setup(CONN_MAX_AGE="-1")

    assert result.returncode != 0
    assert "CONN_MAX_AGE=-1 must be at least 0" in result.stderr


def test_the_defaults_start_a_development_server_on_the_embedded_postgresql():
    result = run_settings(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "d = s.DATABASES['default']; "
            "print(s.DEBUG, d['ENGINE'], d['NAME'], d['OPTIONS']['host'], "
            "s.CELERY_TASK_ALWAYS_EAGER)",
        ]
    )

    assert result.returncode == 0, result.stderr
    debug, engine, name, host, eager = result.stdout.split()
    assert (debug, engine, name, eager) == (
        "True",
        "django.db.backends.postgresql",
        "guichet",
        "True",
    )
    # core/devdb.py's server: its socket in the project's git-ignored .devdb/.
    assert Path(host).is_relative_to(ROOT / ".devdb")


def test_debug_off_without_a_database_url_refuses_to_start():
    result = django_setup(
        DEBUG="false", SECRET_KEY=production_key(), ALLOWED_HOSTS="guichet.example.org"
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG is off: set DATABASE_URL" in result.stderr


def test_a_database_other_than_postgresql_refuses_to_start():
    result = django_setup(DATABASE_URL=f"sqlite:///{ROOT / 'db.sqlite3'}")

    assert result.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in result.stderr


# What production must set besides the secret key and the host names (nothing
# below connects to the database).
DELIVERING = {
    "DATABASE_URL": "postgres://guichet@db.example.org:5432/guichet",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "SMS_BACKEND": "twilio",
}


def test_production_settings_pass_the_deploy_check():
    result = run_settings(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=production_key(),
        ALLOWED_HOSTS="guichet.example.org",
        **DELIVERING,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_harden_cookies_and_transport():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.ALLOWED_HOSTS)"
    )
    result = run_settings(
        [sys.executable, "-c", code],
        DEBUG="false",
        SECRET_KEY=production_key(),
        ALLOWED_HOSTS="guichet.example.org, www.guichet.example.org",
        **DELIVERING,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False True True True 31536000 True True ['guichet.example.org', 'www.guichet.example.org']"
    )


def test_france_time_and_language():
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.USE_TZ is True


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_env_bool_reads_true(monkeypatch, value):
    monkeypatch.setenv("GUICHET_TEST_FLAG", value)
    assert env_bool("GUICHET_TEST_FLAG", False) is True


@pytest.mark.parametrize("value", ["0", "false", "No", "off"])
def test_env_bool_reads_false(monkeypatch, value):
    monkeypatch.setenv("GUICHET_TEST_FLAG", value)
    assert env_bool("GUICHET_TEST_FLAG", True) is False


@pytest.mark.parametrize("value", ["flase", "2", "enabled", "y"])
def test_env_bool_refuses_anything_else(monkeypatch, value):
    monkeypatch.setenv("GUICHET_TEST_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="is not a boolean"):
        env_bool("GUICHET_TEST_FLAG", True)


def test_env_helpers_treat_empty_as_unset(monkeypatch):
    monkeypatch.setenv("GUICHET_TEST_VALUE", "")
    assert env_bool("GUICHET_TEST_VALUE", True) is True
    assert env_int("GUICHET_TEST_VALUE", 7) == 7
    assert env_str("GUICHET_TEST_VALUE", "default") == "default"
    assert env_list("GUICHET_TEST_VALUE", ["a"]) == ["a"]


def test_env_int_refuses_a_non_integer_and_a_too_small_one(monkeypatch):
    monkeypatch.setenv("GUICHET_TEST_VALUE", "12.5")
    with pytest.raises(ImproperlyConfigured, match="is not an integer"):
        env_int("GUICHET_TEST_VALUE", 1)
    monkeypatch.setenv("GUICHET_TEST_VALUE", "0")
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        env_int("GUICHET_TEST_VALUE", 5, minimum=1)


def test_env_str_without_default_is_required(monkeypatch):
    monkeypatch.delenv("GUICHET_TEST_VALUE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="GUICHET_TEST_VALUE is required"):
        env_str("GUICHET_TEST_VALUE")


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("GUICHET_TEST_VALUE", " a.example , ,b.example,")
    assert env_list("GUICHET_TEST_VALUE", []) == ["a.example", "b.example"]


def test_every_setting_variable_is_documented_in_env_example():
    missing = settings_variables() - env_example_variables()
    assert not missing, f"Add to .env.example: {sorted(missing)}"


def test_every_setting_variable_is_documented_in_the_readme():
    readme = (ROOT / "docs" / "configuration.md").read_text()
    missing = {name for name in settings_variables() if f"`{name}`" not in readme}
    assert not missing, f"Add to docs/configuration.md's table: {sorted(missing)}"


def test_env_example_documents_only_variables_that_something_reads():
    compose = (ROOT / "docker-compose.yml").read_text()
    unknown = {
        name
        for name in env_example_variables() - settings_variables()
        if not re.search(rf"\$\{{{name}\b", compose)
    }
    assert not unknown, f"Nothing reads these .env.example variables: {sorted(unknown)}"


def test_env_example_explains_every_variable():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if _DOTENV_LINE.match(line):
            assert index > 0 and lines[index - 1].startswith("#"), f"No comment above {line!r}"


def test_env_example_holds_no_usable_secret():
    values = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if _DOTENV_LINE.match(line)
    )
    assert values["SECRET_KEY"] == ""
    assert values["DEBUG"] == "false"
    assert values["TWILIO_AUTH_TOKEN"] == ""


# --- Production deployment (docker-compose.yml, Dockerfile) ---------------------------

_COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_describes_the_production_services(compose):
    services = compose["services"]

    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert services["db"]["image"] == "postgres:15"
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert services["redis"]["image"] == "redis:7"
    for name in ("migrate", *APP_SERVICES):
        service = services[name]
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        assert service["environment"]["DEBUG"] == "false"
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_compose_commands(compose):
    services = compose["services"]

    web = services["web"]["command"]
    assert web[:2] == ["gunicorn", "config.wsgi:application"]
    assert "--bind=0.0.0.0:8000" in web
    # The access log that masks tokens (config/gunicorn.py), not a plain one.
    assert "--config=config/gunicorn.py" in web
    assert not any(arg.startswith("--access-log") for arg in web)
    assert services["web"]["ports"] == ["127.0.0.1:${WEB_PORT:-8000}:8000"]
    assert services["worker"]["command"] == ["celery", "-A", "config", "worker", "-l", "info"]
    assert services["beat"]["command"][:6] == ["celery", "-A", "config", "beat", "-l", "info"]
    migrate = " ".join(services["migrate"]["command"])
    assert "python manage.py migrate --noinput" in migrate
    # Static files are collected at image build and served by WhiteNoise.
    assert "collectstatic" not in migrate
    assert services["migrate"]["restart"] == "no"
    # What the commands name exists.
    from config.celery import app
    from config.wsgi import application

    assert app.main == "guichet"
    assert callable(application)


def test_compose_starts_the_application_after_its_dependencies(compose):
    services = compose["services"]

    for name in APP_SERVICES:
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("db", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/" in web_check and "X-Forwarded-Proto" in web_check


def test_compose_serves_requests_as_a_role_that_does_not_own_the_tables(compose):
    services = compose["services"]

    owner_url = services["migrate"]["environment"]["DATABASE_URL"]
    assert owner_url.startswith("postgres://${POSTGRES_USER:-guichet}:${POSTGRES_PASSWORD")
    migrate = " ".join(services["migrate"]["command"])
    assert "manage.py migrate --noinput &&" in migrate
    assert "manage.py db_grants --runtime-role=${APP_DB_USER:-guichet_app}" in migrate
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith(
            "postgres://${APP_DB_USER:-guichet_app}:${APP_DB_PASSWORD"
        ), name
        # .env is given to every container: the passwords they do not need are blanked.
        assert environment["POSTGRES_PASSWORD"] == "", name
        assert environment["APP_DB_PASSWORD"] == "", name


def test_every_variable_compose_uses_is_documented_in_env_example(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(_COMPOSE_VARIABLE.findall(text))
    for service in compose["services"].values():
        used |= set(service.get("environment", {}))

    assert {"POSTGRES_PASSWORD", "WEB_PORT", "DEBUG", "DATABASE_URL"} <= used
    missing = used - env_example_variables()
    assert not missing, f"Add to .env.example: {sorted(missing)}"


def test_dockerfile_builds_a_non_root_gunicorn_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]

    assert instructions[0] == "FROM python:3.11-slim"
    assert "RUN pip install ." in dockerfile
    assert "python manage.py collectstatic --noinput" in dockerfile
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert instructions[-1].startswith('CMD ["gunicorn", "config.wsgi:application"')
    assert '"--config=config/gunicorn.py"' in instructions[-1]
    assert "--access-log" not in instructions[-1]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {".env", ".git", ".venv", ".devdb", "staticfiles"} <= ignored
    assert "README.md" not in ignored  # pyproject.toml's readme: the build needs it
