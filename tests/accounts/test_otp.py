"""Two-factor authentication: mandatory for staff before any staff page or
staff API answers, optional for applicants; TOTP with a QR code, backup codes."""

from __future__ import annotations

import re
from base64 import b32encode

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction, AuditEvent
from tests import factories
from tests.auth import MODEL_BACKEND, login, otp_device_confirm
from tests.helpers.otp import totp_code

pytestmark = pytest.mark.django_db

SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")


def password_login(client, user, next_url: str = ""):
    # After a login the pages are in the account's language (accounts/language.py):
    # English, which these tests read (``web``).
    type(user).objects.filter(pk=user.pk).update(language="en")
    data = {"username": user.email, "password": factories.DEFAULT_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


# --- Staff reach nothing before the second factor ---------------------------------------

STAFF_PAGES = [
    reverse("accounts:me"),
    reverse("staff:list"),
    reverse("booking:my_appointments"),
    reverse("accounts:tokens"),
    reverse("accounts:otp_backup_codes"),
    reverse("admin:index"),
    reverse("audit:search"),
    reverse("agent:identity_correct", args=[1]),
]


@pytest.mark.parametrize("persona", ["agent", "mediator", "supervisor"])
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_without_a_device_are_sent_to_enrol_from_every_page(web, request, persona, path):
    staff = request.getfixturevalue(persona)
    web.force_login(staff, backend=MODEL_BACKEND)

    response = web.get(path)

    assert response.status_code == 302
    assert response.url == f"{SETUP}?next={path.replace('/', '%2F')}"


def test_staff_with_a_device_but_no_code_yet_are_sent_to_verification(web, agent):
    otp_device_confirm(agent)
    web.force_login(agent, backend=MODEL_BACKEND)

    response = web.get(reverse("accounts:me"))

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_an_administrator_needs_the_second_factor_for_the_admin_too(web):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    web.force_login(admin, backend=MODEL_BACKEND)

    assert web.get(reverse("admin:index")).url.startswith(SETUP)
    assert login(web, admin).get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/appointments/", "/api/v1/sites/", "/api/v1/auth/tokens/"]
)
def test_staff_session_without_the_second_factor_gets_403_otp_required_from_the_api(
    client, agent, path
):
    otp_device_confirm(agent)
    client.force_login(agent, backend=MODEL_BACKEND)

    response = client.get(path)

    assert response.status_code == 403
    assert response.json()["code"] == "otp_required"
    assert response.json()["detail"]


@pytest.mark.parametrize("persona", ["agent", "mediator", "supervisor"])
def test_staff_with_a_verified_session_reach_their_pages_and_the_api(client, request, persona):
    staff = request.getfixturevalue(persona)
    login(client, staff)

    assert client.get(reverse("accounts:me")).status_code == 200
    assert client.get("/api/v1/appointments/").status_code == 200


def test_supervisor_with_a_verified_session_reaches_the_staff_pages(client, supervisor):
    login(client, supervisor)

    assert client.get(reverse("staff:list")).status_code == 200


def test_unverified_staff_may_still_log_out_and_reach_the_otp_pages(web, agent):
    web.force_login(agent, backend=MODEL_BACKEND)

    assert web.get(SETUP).status_code == 200
    assert web.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in web.session


def test_applicants_without_two_factor_are_not_concerned(web, applicant_user):
    web.force_login(applicant_user, backend=MODEL_BACKEND)

    assert web.get(reverse("accounts:me")).status_code == 200
    assert web.get("/api/v1/appointments/").status_code == 200


# --- The staff login flow ------------------------------------------------------------


def test_staff_login_goes_password_then_enrolment_then_backup_codes_then_the_page(web, agent):
    # Password.
    response = password_login(web, agent, next_url=reverse("accounts:me"))
    assert response.status_code == 302
    response = web.get(response.url)
    assert response.status_code == 302
    assert response.url.startswith(SETUP)

    # Enrolment: a QR code as inline SVG (no script), and the key to type.
    page = web.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and 'role="img"' in html
    assert not re.findall(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert "no-store" in page["Cache-Control"]
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    secret = re.search(r'id="otp-secret">([A-Z2-7= ]+)<', html).group(1).replace(" ", "")
    assert secret == b32encode(device.bin_key).decode()

    wrong = web.post(SETUP, {"code": "000000", "next": reverse("accounts:me")})
    assert wrong.status_code == 200
    assert "not valid" in wrong.content.decode()
    # A wrong code makes the device wait a second before the next try.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)

    confirmed = web.post(SETUP, {"code": totp_code(device), "next": reverse("accounts:me")})
    assert confirmed.status_code == 302
    assert confirmed.url.startswith(reverse("accounts:otp_backup_codes"))

    # Ten backup codes, shown once.
    codes_page = web.get(confirmed.url).content.decode()
    codes = re.findall(r"<li><code>(\w+)</code></li>", codes_page)
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=agent).count() == 10
    assert "<li><code>" not in web.get(confirmed.url).content.decode()

    # And the page asked for at first.
    assert web.get(reverse("accounts:me")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        action=AuditAction.OTP_DEVICE_CONFIRMED, subject_user=agent
    ).exists()


def test_staff_login_with_a_device_asks_for_a_code_then_reaches_the_page(web, agent):
    device = otp_device_confirm(agent)
    next_url = reverse("accounts:me")

    response = password_login(web, agent, next_url=next_url)
    response = web.get(response.url)
    assert response.url == f"{VERIFY}?next={next_url.replace('/', '%2F')}"
    assert web.get(next_url).status_code == 302

    wrong = web.post(VERIFY, {"code": "123456", "next": next_url})
    assert wrong.status_code == 200
    assert "not valid" in wrong.content.decode()
    session_key = web.session.session_key

    # A wrong code makes the device wait a second before the next try.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = web.post(VERIFY, {"code": totp_code(device), "next": next_url})

    assert right.status_code == 302
    assert right.url == next_url
    assert web.session.session_key != session_key  # a new session key once verified
    assert web.get(next_url).status_code == 200


def test_a_code_from_the_authenticator_works_once(web, agent):
    device = otp_device_confirm(agent)
    code = totp_code(device)
    password_login(web, agent)
    assert web.post(VERIFY, {"code": code}).status_code == 302

    other = web.__class__()
    other.defaults.update(web.defaults)
    password_login(other, agent)
    replay = other.post(VERIFY, {"code": code})

    assert replay.status_code == 200
    assert "not valid" in replay.content.decode()


def test_verification_never_redirects_to_another_site(web, agent):
    device = otp_device_confirm(agent)
    password_login(web, agent)

    response = web.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == reverse("agent:day")  # an agent lands on the day's list


def test_a_supervisor_login_lands_on_the_dashboard(web, supervisor):
    device = otp_device_confirm(supervisor)

    landing = web.get(password_login(web, supervisor).url)
    assert landing.url.startswith(VERIFY)
    response = web.post(landing.url, {"code": totp_code(device)})

    assert response.url == reverse("agent:dashboard")
    assert web.get(response.url).status_code == 200


def test_an_administrator_who_is_no_supervisor_lands_on_the_staff_accounts(web):
    administrator = factories.UserFactory(role="agent", is_staff=True, is_superuser=True)
    device = otp_device_confirm(administrator)

    landing = web.get(password_login(web, administrator).url)
    response = web.post(landing.url, {"code": totp_code(device)})

    assert response.url == reverse("staff:list")


def test_whoever_knows_only_the_password_cannot_enrol_another_device(web, agent):
    otp_device_confirm(agent)
    password_login(web, agent)

    response = web.get(SETUP)

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=agent, confirmed=False).exists()


# --- Backup codes ----------------------------------------------------------------------


def backup_codes(user) -> list[str]:
    from accounts.services import otp_backup_codes_regenerate

    return otp_backup_codes_regenerate(user=user)


def test_a_backup_code_logs_in_once(web, agent):
    otp_device_confirm(agent)
    codes = backup_codes(agent)
    password_login(web, agent)

    first = web.post(VERIFY, {"code": codes[0], "next": reverse("accounts:me")})
    assert first.status_code == 302
    assert first.url == reverse("accounts:me")
    assert StaticToken.objects.filter(device__user=agent).count() == 9

    web.post(reverse("accounts:logout"))
    password_login(web, agent)
    again = web.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200
    assert "not valid" in again.content.decode()
    assert web.get(reverse("accounts:me")).status_code == 302


def test_new_backup_codes_replace_the_old_ones(client, agent):
    login(client, agent)
    old = backup_codes(agent)

    page = client.post(reverse("accounts:otp_backup_codes")).content.decode()
    new = re.findall(r"<li><code>(\w+)</code></li>", page)

    assert len(new) == 10
    assert not set(new) & set(old)
    assert set(
        StaticToken.objects.filter(device__user=agent).values_list("token", flat=True)
    ) == set(new)
    assert StaticDevice.objects.filter(user=agent).count() == 1


# --- Applicants: optional ----------------------------------------------------------------


def test_applicant_turns_two_factor_on_and_must_then_pass_it_at_login(web, applicant_user):
    login(web, applicant_user)
    me = web.get(reverse("accounts:me")).content.decode()
    assert "Turn on two-factor authentication" in me

    web.get(SETUP)
    device = TOTPDevice.objects.get(user=applicant_user, confirmed=False)
    response = web.post(SETUP, {"code": totp_code(device)})
    assert response.status_code == 302
    assert web.get(reverse("accounts:me")).status_code == 200

    web.post(reverse("accounts:logout"))
    password_login(web, applicant_user)
    held = web.get(reverse("booking:my_appointments"))
    assert held.status_code == 302
    assert held.url.startswith(VERIFY)
    api = web.get("/api/v1/appointments/")
    assert api.status_code == 403
    assert api.json()["code"] == "otp_required"

    web.post(VERIFY, {"code": totp_code(device, steps_ahead=1)})
    assert web.get(reverse("booking:my_appointments")).status_code == 200


def test_applicant_turns_two_factor_off_with_their_password(web, applicant_user):
    device = otp_device_confirm(applicant_user)
    backup_codes(applicant_user)
    login(web, applicant_user)

    wrong = web.post(reverse("accounts:otp_disable"), {"password": "not-my-password"})
    assert wrong.status_code == 200
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    right = web.post(reverse("accounts:otp_disable"), {"password": factories.DEFAULT_PASSWORD})
    assert right.status_code == 302
    assert not TOTPDevice.objects.filter(user=applicant_user).exists()
    assert not StaticDevice.objects.filter(user=applicant_user).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.OTP_DEVICE_REMOVED, subject_user=applicant_user
    ).exists()

    web.post(reverse("accounts:logout"))
    password_login(web, applicant_user)
    assert web.get(reverse("accounts:me")).status_code == 200


def test_staff_cannot_turn_two_factor_off(web, agent):
    login(web, agent)

    response = web.post(reverse("accounts:otp_disable"), {"password": factories.DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).exists()
    assert "Turn off two-factor" not in web.get(reverse("accounts:me")).content.decode()


def test_otp_required_has_a_french_message(client, agent):
    client.force_login(agent, backend=MODEL_BACKEND)

    response = client.get("/api/v1/sites/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.json()["code"] == "otp_required"
    assert "code" in response.json()["detail"]
