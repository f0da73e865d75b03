"""API tokens: issued to staff (and to applicants with two-factor on) only
with a second-factor code; listed and revoked by their owner only; all
revoked when the password changes; ``last_used_at`` kept cheaply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.forms import AdminPasswordChangeForm, SetPasswordForm
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, otp_backup_codes_regenerate
from audit.models import AuditAction, AuditEvent
from tests import factories
from tests.auth import login, otp_device_confirm
from tests.helpers.otp import totp_code

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"
NEW_PASSWORD = "un-mot-de-passe-tout-neuf-93"


def ask_token(user, **extra):
    data = {"email": user.email, "password": factories.DEFAULT_PASSWORD, **extra}
    return APIClient().post(TOKEN_URL, data, format="json")


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- Issuing ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["agent", "mediator", "supervisor"])
def test_staff_token_is_refused_without_a_second_factor_code(request, persona):
    staff = request.getfixturevalue(persona)
    otp_device_confirm(staff)

    response = ask_token(staff)

    assert response.status_code == 403
    assert response.json()["code"] == "otp_required"
    assert not ApiToken.objects.filter(user=staff).exists()


def test_staff_without_a_device_cannot_get_a_token_at_all(agent):
    response = ask_token(agent, otp="123456")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_otp"
    assert ask_token(agent).json()["code"] == "otp_required"
    assert not ApiToken.objects.exists()


def test_staff_token_is_refused_with_a_wrong_code(agent):
    otp_device_confirm(agent)

    response = ask_token(agent, otp="000000")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_otp"
    assert not ApiToken.objects.exists()


def test_staff_token_is_issued_with_a_valid_code_and_works(agent):
    device = otp_device_confirm(agent)

    response = ask_token(agent, otp=totp_code(device))

    assert response.status_code == 200
    token = ApiToken.objects.get(user=agent)
    assert client_with(response.json()["token"]).get("/api/v1/appointments/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_CREATED, subject_user=agent).exists()
    assert token.digest == ApiToken.digest_of(response.json()["token"])


def test_a_backup_code_gets_a_token_once(agent):
    otp_device_confirm(agent)
    code = otp_backup_codes_regenerate(user=agent)[0]

    assert ask_token(agent, otp=code).status_code == 200
    assert ask_token(agent, otp=code).json()["code"] == "invalid_otp"


def test_a_wrong_password_is_told_before_anything_about_the_code(agent):
    otp_device_confirm(agent)

    response = APIClient().post(
        TOKEN_URL, {"email": agent.email, "password": "wrong", "otp": "1"}, format="json"
    )

    assert response.json()["code"] == "invalid_credentials"


def test_applicant_without_two_factor_needs_no_code_and_with_it_does(applicant_user):
    assert ask_token(applicant_user).status_code == 200

    device = otp_device_confirm(applicant_user)

    assert ask_token(applicant_user).json()["code"] == "otp_required"
    assert ask_token(applicant_user, otp=totp_code(device)).status_code == 200


def test_the_schema_documents_the_otp_field_and_its_refusals():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]

    assert "otp_required" in operation["responses"]["403"]["description"]
    assert "invalid_otp" in operation["responses"]["400"]["description"]
    credentials = schema["components"]["schemas"]["CredentialsRequest"]
    assert "otp" in credentials["properties"]
    assert "otp" not in credentials.get("required", [])
    assert {"get"} <= set(schema["paths"]["/api/v1/auth/tokens/"])
    assert {"delete"} <= set(schema["paths"]["/api/v1/auth/tokens/{token_id}/"])


# --- Listing and revoking ----------------------------------------------------------------


def test_owner_lists_their_tokens_without_keys(applicant_user, other_applicant):
    mine, key = api_token_create(user=applicant_user)
    older, _key = api_token_create(user=applicant_user)
    api_token_create(user=other_applicant.user)

    response = client_with(key).get(TOKENS_URL)

    assert response.status_code == 200
    body = response.json()["results"]
    assert {row["id"] for row in body} == {mine.pk, older.pk}
    assert [row["current"] for row in body if row["id"] == mine.pk] == [True]
    assert set(body[0]) == {"id", "prefix", "created_at", "expires_at", "last_used_at", "current"}
    assert key not in response.content.decode()


def test_owner_revokes_a_token_and_it_stops_working(applicant_user):
    token, key = api_token_create(user=applicant_user)
    _other, other_key = api_token_create(user=applicant_user)

    response = client_with(other_key).delete(f"{TOKENS_URL}{token.pk}/")

    assert response.status_code == 204
    assert client_with(key).get(TOKENS_URL).status_code == 401
    assert client_with(other_key).get(TOKENS_URL).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.TOKEN_REVOKED, subject_user=applicant_user
    ).exists()


def test_someone_elses_token_is_not_found_and_stays(applicant_user, other_applicant):
    theirs, their_key = api_token_create(user=other_applicant.user)
    _mine, key = api_token_create(user=applicant_user)

    response = client_with(key).delete(f"{TOKENS_URL}{theirs.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client_with(their_key).get(TOKENS_URL).status_code == 200


def test_the_tokens_page_lists_and_revokes_own_tokens_only(web, applicant_user, other_applicant):
    mine, _key = api_token_create(user=applicant_user)
    theirs, _key = api_token_create(user=other_applicant.user)
    login(web, applicant_user)

    page = web.get(reverse("accounts:tokens")).content.decode()
    assert mine.prefix in page and theirs.prefix not in page

    assert web.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    revoked = web.post(reverse("accounts:token_revoke", args=[mine.pk]))
    assert revoked.status_code == 302
    assert not ApiToken.objects.filter(pk=mine.pk).exists()


def test_staff_tokens_page_needs_the_second_factor(web, agent):
    web.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")

    assert web.get(reverse("accounts:tokens")).status_code == 302
    assert login(web, agent).get(reverse("accounts:tokens")).status_code == 200


# --- A new password revokes them all -------------------------------------------------------


def test_the_password_change_page_revokes_every_token(web, applicant_user):
    api_token_create(user=applicant_user)
    api_token_create(user=applicant_user)
    login(web, applicant_user)

    response = web.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change_done")
    assert not ApiToken.objects.filter(user=applicant_user).exists()
    assert web.get(reverse("accounts:me")).status_code == 200  # still logged in
    [row] = AuditEvent.objects.filter(
        action=AuditAction.PASSWORD_CHANGED, subject_user=applicant_user
    )
    assert row.actor_id == applicant_user.pk  # the owner, on their own page


def test_a_wrong_old_password_changes_nothing(web, applicant_user):
    api_token_create(user=applicant_user)
    login(web, applicant_user)

    response = web.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=applicant_user).exists()


@pytest.mark.parametrize("form_class", [SetPasswordForm, AdminPasswordChangeForm])
def test_a_reset_link_or_the_admin_revokes_every_token_too(applicant_user, form_class):
    api_token_create(user=applicant_user)
    form = form_class(
        applicant_user,
        {
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert form.is_valid(), form.errors

    form.save()

    assert not ApiToken.objects.filter(user=applicant_user).exists()
    # No request (a form saved in code, a command): nobody is named.
    [row] = AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED)
    assert row.actor_id is None


def test_the_admin_password_page_revokes_every_token(admin_client, admin_user, agent):
    api_token_create(user=agent)

    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[agent.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:1500]
    assert not ApiToken.objects.filter(user=agent).exists()
    [row] = AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED, subject_user=agent)
    assert row.actor_id == admin_user.pk  # the administrator who set it


def test_a_login_that_upgrades_the_hash_is_not_a_password_change(applicant_user, settings):
    api_token_create(user=applicant_user)
    # The stored hash is of the second hasher: a login re-hashes it with the first.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]

    assert applicant_user.check_password(factories.DEFAULT_PASSWORD)

    applicant_user.refresh_from_db()
    assert applicant_user.password.startswith("pbkdf2_sha256$")
    assert ApiToken.objects.filter(user=applicant_user).exists()


# --- last_used_at: at most one write every few minutes ------------------------------------


def token_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]


def test_last_used_at_is_written_on_first_use_then_not_again_for_a_while(applicant_user):
    token, key = api_token_create(user=applicant_user)
    client = client_with(key)

    with CaptureQueriesContext(connection) as first:
        client.get(TOKENS_URL)
    token.refresh_from_db()
    used = token.last_used_at
    with CaptureQueriesContext(connection) as second:
        client.get(TOKENS_URL)
    token.refresh_from_db()

    assert used is not None
    assert len(token_writes(first.captured_queries)) == 1
    assert token_writes(second.captured_queries) == []
    assert token.last_used_at == used


def test_last_used_at_is_written_again_once_it_is_a_few_minutes_old(applicant_user):
    token, key = api_token_create(user=applicant_user)
    old = timezone.now() - timedelta(minutes=6)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)

    client_with(key).get(TOKENS_URL)

    token.refresh_from_db()
    assert token.last_used_at > old + timedelta(minutes=5)


def test_last_used_at_is_not_written_over_by_a_request_that_loaded_it_stale(applicant_user):
    """Two requests load the token while it is stale: the second one's UPDATE
    matches nothing, because the first already wrote a fresh value."""
    from accounts.authentication import token_used

    token, _ = api_token_create(user=applicant_user)
    old = timezone.now() - timedelta(minutes=6)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    first, second = ApiToken.objects.get(pk=token.pk), ApiToken.objects.get(pk=token.pk)

    token_used(first)
    written = ApiToken.objects.get(pk=token.pk).last_used_at
    token_used(second)

    assert written == first.last_used_at
    assert ApiToken.objects.get(pk=token.pk).last_used_at == written


def test_a_token_in_use_authenticates_in_one_query(applicant_user, django_assert_num_queries):
    from booking.api.authentication import HashedTokenAuthentication

    token, key = api_token_create(user=applicant_user)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())

    with django_assert_num_queries(1):
        user, found = HashedTokenAuthentication().authenticate_credentials(key)

    assert (user.pk, found.pk) == (applicant_user.pk, token.pk)


def test_a_session_delete_of_a_malformed_token_id_is_a_json_404(client, applicant_user):
    client = APIClient(enforce_csrf_checks=True)
    login(client, applicant_user)

    response = client.delete(f"{TOKENS_URL}null,null/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
