"""The client address behind the reverse proxy (core/client.py): the peer, or
from a trusted proxy the right-most X-Forwarded-For entry that is not a trusted
proxy; refused when it cannot be determined. Rate limits, axes and the audit
trail all count by it."""

from __future__ import annotations

import logging
import sys

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from core.client import ClientAddressUnknown, address_from, client_address
from tests import factories
from tests.helpers.settings_process import django_setup, run_settings

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
INNER_PROXY = "172.16.0.5"
PROXIES = ["10.0.0.0/8", "172.16.0.0/12"]
ALICE = "198.51.100.1"
BOB = "198.51.100.2"
MINUTE = 60


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def behind_proxy(forwarded_for: str, *, peer: str = PROXY, **extra) -> Client:
    """A browser whose requests reach gunicorn through the proxy at ``peer``."""
    return Client(
        REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for, HTTP_ACCEPT_LANGUAGE="en", **extra
    )


def _login(client: Client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


# --- The rule ------------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored():
    meta = {"REMOTE_ADDR": ALICE, "HTTP_X_FORWARDED_FOR": "192.0.2.66"}
    assert address_from(meta, ()) == ALICE


def test_from_an_untrusted_peer_the_header_is_ignored():
    meta = {"REMOTE_ADDR": ALICE, "HTTP_X_FORWARDED_FOR": "192.0.2.66"}
    assert address_from(meta, PROXIES) == ALICE


def test_a_chain_of_proxies_gives_the_rightmost_untrusted_entry():
    # The client wrote "192.0.2.66, 10.9.9.9" itself; our proxies appended ALICE
    # (the peer the outer one saw) and the outer proxy's address.
    meta = {
        "REMOTE_ADDR": PROXY,
        "HTTP_X_FORWARDED_FOR": f"192.0.2.66, 10.9.9.9, {ALICE}, {INNER_PROXY}",
    }
    assert address_from(meta, PROXIES) == ALICE


def test_an_ipv4_client_on_a_dual_stack_socket_is_one_address():
    assert address_from({"REMOTE_ADDR": f"::ffff:{ALICE}"}, ()) == ALICE
    meta = {"REMOTE_ADDR": f"::ffff:{PROXY}", "HTTP_X_FORWARDED_FOR": f"::ffff:{BOB}"}
    assert address_from(meta, PROXIES) == BOB


@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": ""},
        {"REMOTE_ADDR": "not-an-address"},
        {"REMOTE_ADDR": PROXY},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ""},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "unknown"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{ALICE}, garbage"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{INNER_PROXY}, 10.1.1.1"},
    ],
)
def test_an_undeterminable_address_raises(meta):
    with pytest.raises(ClientAddressUnknown):
        address_from(meta, PROXIES)


def test_the_address_is_computed_once_per_request(settings):
    settings.TRUSTED_PROXIES = PROXIES
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE)
    assert client_address(request) == ALICE
    request.META["HTTP_X_FORWARDED_FOR"] = BOB
    assert client_address(request) == ALICE


def test_a_bad_network_refuses_to_start():
    for value in ("10.0.0.0/33", "10.0.0.1/8", "proxy.example.org"):
        result = django_setup(TRUSTED_PROXIES=value)

        assert result.returncode != 0, value
        assert "ImproperlyConfigured: TRUSTED_PROXIES" in result.stderr, result.stderr


def test_networks_are_read_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXIES)"
    )
    result = run_settings(
        [sys.executable, "-c", code], TRUSTED_PROXIES=" 10.0.0.0/8 ,192.0.2.7, 2001:db8::/32"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32')"


# --- Refused, never served without an address ------------------------------------------


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_a_trusted_proxy_without_a_client_address_is_refused_with_a_page(caplog):
    user = factories.UserFactory()
    client = Client(REMOTE_ADDR=PROXY, HTTP_ACCEPT_LANGUAGE="en")

    with caplog.at_level(logging.WARNING, logger="core.client"):
        response = _login(client, user.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Request refused" in page
    assert "Your address could not be determined" in page
    assert "_auth_user_id" not in client.session
    assert "client address unknown" in caplog.text
    assert not AccessAttempt.objects.exists()


def test_a_garbage_peer_is_refused_with_json_on_the_api():
    response = Client(REMOTE_ADDR="garbage").post(
        reverse("api:auth-token"), {"email": "x@example.test", "password": "x"}, "application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "client_address_unknown"


# --- Rate limits ---------------------------------------------------------------------


@override_settings(TRUSTED_PROXIES=PROXIES, RATELIMITS={"login": {"ip": (2, 10 * MINUTE)}})
def test_two_clients_behind_one_trusted_proxy_are_limited_separately():
    user = factories.UserFactory()
    alice = behind_proxy(ALICE)
    for _ in range(2):
        assert _login(alice, user.email, "not-the-password").status_code == 200
    assert _login(alice, user.email, "not-the-password").status_code == 429

    bob = behind_proxy(BOB)
    assert _login(bob, user.email, factories.DEFAULT_PASSWORD).status_code == 302


@override_settings(TRUSTED_PROXIES=PROXIES, RATELIMITS={"login": {"ip": (2, 10 * MINUTE)}})
def test_a_client_not_behind_a_trusted_proxy_cannot_spoof_its_address():
    user = factories.UserFactory()
    statuses = [
        _login(behind_proxy(f"192.0.2.{n}", peer=ALICE), user.email, "wrong").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_the_audit_trail_records_the_client_not_the_proxy_nor_the_header():
    user = factories.UserFactory()
    body = {"email": user.email, "password": factories.DEFAULT_PASSWORD}
    url = reverse("api:auth-token")

    behind = behind_proxy(f"192.0.2.66, {ALICE}")
    assert behind.post(url, body, content_type="application/json").status_code == 200
    spoofing = behind_proxy("192.0.2.66", peer=BOB)
    assert spoofing.post(url, body, content_type="application/json").status_code == 200

    rows = AuditEvent.objects.filter(action=AuditAction.TOKEN_CREATED).order_by("pk")
    assert [row.ip for row in rows] == [ALICE, BOB]


@override_settings(RATELIMITS={"login": {"ip": (2, 10 * MINUTE)}})
def test_ipv6_clients_are_limited_per_64_not_per_address():
    user = factories.UserFactory()
    statuses = [
        _login(Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}"), user.email, "wrong").status_code
        for n in range(1, 4)
    ]
    assert statuses == [200, 200, 429]  # three addresses of one /64: one client

    other = Client(REMOTE_ADDR="2001:db8:1:3::1")  # the next /64: another client
    assert _login(other, user.email, factories.DEFAULT_PASSWORD).status_code == 302


# --- Lock-outs (django-axes) -------------------------------------------------------------


@override_settings(TRUSTED_PROXIES=PROXIES, AXES_FAILURE_LIMIT=3)
def test_locking_one_person_out_does_not_lock_another_behind_the_same_proxy():
    victim = factories.UserFactory()
    attacker = behind_proxy(ALICE)
    for _ in range(3):
        response = _login(attacker, victim.email, "not-the-password")
    assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ALICE]

    assert _login(behind_proxy(BOB), victim.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_every_request_is_given_its_address_before_anything_counts_it(settings):
    middleware = settings.MIDDLEWARE
    gate = middleware.index("core.client.ClientAddressMiddleware")
    for counting in (
        "accounts.fastlane.AuthenticationMiddleware",
        "audit.middleware.AuditContextMiddleware",
        "core.ratelimit.RateLimitedMiddleware",
        "axes.middleware.AxesMiddleware",
    ):
        assert gate < middleware.index(counting), counting
    assert settings.AXES_CLIENT_IP_CALLABLE == "core.client.served_client_address"
