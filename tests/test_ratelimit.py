"""Rate limits: 429 with Retry-After (JSON on the API, a page on the web), and
nothing done: no account created, no code sent, no booking made."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.cache import cache, caches
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import PhoneVerification, User
from booking.models import Appointment
from core import ratelimit
from core.cache import redis_script
from notifications.models import Message
from tests import factories
from tests.helpers.api_clients import token_client
from tests.helpers.redis import require_redis

pytestmark = pytest.mark.django_db

HOUR = 3600
MINUTE = 60


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def limits(**scopes):
    """The test's own RATELIMITS: ``booking={"account": (1, 60)}``."""
    return override_settings(RATELIMITS=scopes)


def _retry_after(response, period: int) -> int:
    value = int(response["Retry-After"])
    assert 1 <= value <= period
    return value


def _assert_api_429(response, period: int) -> None:
    assert response.status_code == 429
    _retry_after(response, period)
    body = response.json()
    assert body["code"] == "rate_limited"
    assert "minute(s)" in body["detail"]  # in the client's language (French by default)


def _assert_page_429(response, period: int) -> None:
    assert response.status_code == 429
    _retry_after(response, period)
    page = response.content.decode()
    assert "<h1>Too many requests</h1>" in page
    assert "Nothing was changed by the refused request." in page


def _web(user=None, ip: str = "192.0.2.10") -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _book(api, slot):
    return api.post(reverse("api:appointments"), {"slot": slot.pk}, format="json")


# --- The counter ---------------------------------------------------------------------


def test_the_window_counts_then_refuses_until_it_ends():
    with limits(booking={"account": (2, MINUTE)}):
        start = 1_000_000 * MINUTE + 15.0
        ratelimit.hit("booking", account=1, now=start)
        ratelimit.hit("booking", account=1, now=start + 1)
        with pytest.raises(ratelimit.RateLimited) as refused:
            ratelimit.hit("booking", account=1, now=start + 2)
        assert refused.value.retry_after == 43
        ratelimit.hit("booking", account=2, now=start + 2)  # another account: its own count
        ratelimit.hit("booking", account=1, now=start + 45)  # the next window


def test_a_scope_or_key_without_a_rate_counts_nothing():
    with limits(booking={"account": (1, MINUTE)}):
        for _ in range(3):
            ratelimit.hit("booking", ip="192.0.2.1")
            ratelimit.hit("unknown", account=1)
            ratelimit.hit("booking", account=None)


def test_concurrent_requests_never_pass_more_than_the_rate():
    passed = []

    def worker():
        try:
            ratelimit.hit("booking", account=7)
        except ratelimit.RateLimited:
            return
        passed.append(1)

    with limits(booking={"account": (10, HOUR)}):
        threads = [threading.Thread(target=worker) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(passed) == 10


def test_on_redis_one_script_counts_every_key():
    require_redis()
    redis_cache = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/14",
            "KEY_PREFIX": f"test-ratelimit-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=redis_cache), limits(booking={"account": (2, 5), "ip": (3, 5)}):
        from django.core.cache import cache as redis_backed

        # The script's path, not the generic one (the proxy is never a RedisCache),
        # on one Redis client for the process, not one per operation.
        assert redis_script(caches["default"], ratelimit._COUNT_LUA) is not None
        assert caches["default"]._cache.get_client() is redis_backed._cache.get_client(write=True)
        try:
            ratelimit.hit("booking", account=1, ip="192.0.2.1")
            ratelimit.hit("booking", account=2, ip="192.0.2.1")
            ratelimit.hit("booking", account=1, ip="192.0.2.1")
            with pytest.raises(ratelimit.RateLimited):  # the address's fourth
                ratelimit.hit("booking", account=3, ip="192.0.2.1")
            with pytest.raises(ratelimit.RateLimited):  # the account's third
                ratelimit.hit("booking", account=1, ip="192.0.2.2")
            # A server that lost the script (restarted, flushed) gets it again.
            redis_backed._cache.get_client(write=True).script_flush()
            with pytest.raises(ratelimit.RateLimited):
                ratelimit.hit("booking", account=1, ip="192.0.2.3")
            # Every counter lives no longer than its window (5 s here).
            client = redis_backed._cache.get_client(write=True)
            keys = list(client.scan_iter(f"{redis_cache['default']['KEY_PREFIX']}:*"))
            assert len(keys) == 6  # accounts 1, 2, 3 and addresses .1, .2, .3
            assert all(0 < client.ttl(key) <= 5 for key in keys)
        finally:
            # Only this test's keys: FLUSHDB would empty the whole database.
            client = redis_backed._cache.get_client(write=True)
            for key in client.scan_iter(f"{redis_cache['default']['KEY_PREFIX']}:*"):
                client.delete(key)


# --- API -----------------------------------------------------------------------------


def test_booking_api_per_account(applicant, site, procedure):
    api = token_client(applicant.user)
    first, second = (factories.SlotFactory(site=site, procedure=procedure) for _ in range(2))
    with limits(booking={"account": (1, MINUTE)}):
        assert _book(api, first).status_code == 201
        cancel = reverse("api:appointment-cancel", args=[Appointment.objects.get().reference])

        refused = api.post(cancel)
        _assert_api_429(refused, MINUTE)
        assert Appointment.objects.get().status == "booked"
        # Reading one's appointments is not counted.
        assert api.get(reverse("api:appointments")).status_code == 200
        _assert_api_429(_book(api, second), MINUTE)
    assert Appointment.objects.count() == 1


def test_booking_api_per_address_across_accounts(site, procedure):
    slot = factories.SlotFactory(site=site, procedure=procedure, capacity=5)
    one, two = factories.ApplicantFactory(), factories.ApplicantFactory()
    with limits(booking={"ip": (1, MINUTE)}):
        assert _book(token_client(one.user), slot).status_code == 201
        _assert_api_429(_book(token_client(two.user), slot), MINUTE)
    assert Appointment.objects.count() == 1


def test_availability_api_per_account(applicant_user, slot):
    api = token_client(applicant_user)
    url = reverse("api:availability") + f"?procedure={slot.procedure.slug}"
    with limits(availability={"account": (2, MINUTE)}):
        assert api.get(url).status_code == 200
        assert api.get(url).status_code == 200
        _assert_api_429(api.get(url), MINUTE)


def test_token_endpoint_per_address_and_not_a_failed_login():
    user = factories.UserFactory()
    client = Client(REMOTE_ADDR="192.0.2.30")
    body = {"email": user.email, "password": factories.DEFAULT_PASSWORD}
    with limits(login={"ip": (1, 10 * MINUTE)}):
        url = reverse("api:auth-token")
        assert client.post(url, body, content_type="application/json").status_code == 200
        refused = client.post(url, body, content_type="application/json")
        _assert_api_429(refused, 10 * MINUTE)
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.exists()


# --- Pages ---------------------------------------------------------------------------


def test_login_page_per_address():
    user = factories.UserFactory()
    data = {"username": user.email, "password": "not-the-password"}
    with limits(login={"ip": (2, 10 * MINUTE)}):
        web = _web()
        for _ in range(2):
            assert web.post(reverse("accounts:login"), data).status_code == 200
        data["password"] = factories.DEFAULT_PASSWORD
        refused = web.post(reverse("accounts:login"), data)
        _assert_page_429(refused, 10 * MINUTE)
        assert "_auth_user_id" not in web.session
        # Another address is not concerned.
        assert _web(ip="192.0.2.99").post(reverse("accounts:login"), data).status_code == 302


def _registration(email: str, phone: str = "06 12 34 56 78") -> dict:
    return {
        "email": email,
        "password": "un-mot-de-passe-solide-93",
        "phone": phone,
        "consent": "on",
    }


def test_registration_per_address_creates_nothing():
    with limits(register={"ip": (1, HOUR)}):
        web = _web()
        assert web.post(reverse("accounts:register"), _registration("a@example.test")).status_code
        refused = _web().post(
            reverse("accounts:register"), _registration("b@example.test", "07 12 34 56 78")
        )
        _assert_page_429(refused, HOUR)
    assert list(User.objects.values_list("email", flat=True)) == ["a@example.test"]
    assert Message.objects.filter(destination="+33712345678").count() == 0


def test_codes_per_phone_number_across_two_accounts():
    with limits(phone_code={"phone": (1, HOUR)}):
        assert (
            _web(ip="192.0.2.1")
            .post(reverse("accounts:register"), _registration("a@example.test"))
            .status_code
            == 302
        )
        # Another person, elsewhere, types the same number.
        refused = _web(ip="192.0.2.2").post(
            reverse("accounts:register"), _registration("b@example.test")
        )
        _assert_page_429(refused, HOUR)
        # An existing account that moves to that number is refused too.
        other = factories.UserFactory()
        refused = _web(other, ip="192.0.2.3").post(
            reverse("accounts:phone_change"), {"phone": "06 12 34 56 78"}
        )
        _assert_page_429(refused, HOUR)
    assert not User.objects.filter(email="b@example.test").exists()
    assert Message.objects.filter(template_key="phone_code").count() == 1
    assert PhoneVerification.objects.filter(phone="+33612345678").count() == 1


def test_codes_per_account():
    user = factories.UserFactory(unverified=True)
    with limits(phone_code={"account": (1, HOUR)}):
        web = _web(user)
        response = web.post(reverse("accounts:phone_code_resend"))
        assert response.status_code == 302
        PhoneVerification.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))
        refused = web.post(reverse("accounts:phone_code_resend"))
        _assert_page_429(refused, HOUR)
    assert Message.objects.filter(template_key="phone_code").count() == 1


def test_booking_page_per_account(applicant, slot):
    with limits(booking={"account": (1, MINUTE)}):
        web = _web(applicant.user)
        confirm = reverse("booking:confirm", args=[slot.pk])
        assert web.get(confirm).status_code == 200  # seeing the page is not counted
        assert web.post(confirm).status_code == 302
        appointment = Appointment.objects.get()
        refused = web.post(reverse("booking:appointment_cancel", args=[appointment.reference]))
        _assert_page_429(refused, MINUTE)
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_availability_pages_per_account(applicant, slot):
    days = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])
    with limits(availability={"account": (1, MINUTE)}):
        web = _web(applicant.user)
        assert web.get(days).status_code == 200
        _assert_page_429(web.get(days), MINUTE)


def test_the_429_page_is_in_french_by_default(applicant, slot):
    days = reverse("booking:days", args=[slot.procedure.slug, slot.site.slug])
    with limits(availability={"ip": (1, MINUTE)}):
        web = Client(REMOTE_ADDR="192.0.2.40")
        web.force_login(applicant.user)
        web.get(days)
        refused = web.get(days)
    assert refused.status_code == 429
    assert "Trop de demandes" in refused.content.decode()


# --- Settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10/m", (10, 60)), ("30/10m", (30, 600)), ("5/h", (5, 3600)), (" 3/30s ", (3, 30))],
)
def test_a_rate_is_requests_per_period(monkeypatch, value, expected):
    from config.env import env_rate

    monkeypatch.setenv("GUICHET_TEST_RATE", value)
    assert env_rate("GUICHET_TEST_RATE", "1/d") == expected


@pytest.mark.parametrize("value", ["10", "10/x", "ten/m", "0/m", "10/0m", "-1/m", "10/m/2"])
def test_a_malformed_rate_stops_the_process(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_rate

    monkeypatch.setenv("GUICHET_TEST_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="GUICHET_TEST_RATE"):
        env_rate("GUICHET_TEST_RATE", "1/d")


def test_an_empty_rate_means_the_default(monkeypatch):
    from config.env import env_rate

    monkeypatch.setenv("GUICHET_TEST_RATE", "")
    assert env_rate("GUICHET_TEST_RATE", "100/d") == (100, 86400)
