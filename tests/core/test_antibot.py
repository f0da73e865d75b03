"""The proof-of-work against bots (``core.antibot``): challenges made and verified,
single use, tampering and expiry refused, the no-script wait; then each protected
form and endpoint: without a solution refused with a clear error and nothing
written, with one it goes through. Staff booking by API are not asked, and an
applicant's booking by API takes exactly the queries it took without the check.

The rest of the suite runs with the check off (config/settings_test.py); these
tests turn it on with real values."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time

import altcha
import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from booking.models import Appointment
from core import antibot
from substitution.models import SubstitutionRequest
from tests import factories
from tests.api.test_hot_paths import BOOKING_QUERIES
from tests.auth import login
from tests.helpers.api_clients import token_client
from tests.substitution.conftest import form_data

pytestmark = pytest.mark.django_db

ON = {"ANTIBOT_ENABLED": True, "ANTIBOT_MAX_NUMBER": 2000, "ANTIBOT_NOSCRIPT_WAIT_SECONDS": 5}


def _in_french(text: str) -> str:
    """``text`` as the pages show it (French, the language of a page without
    another choice), HTML-escaped as the templates write it."""
    with translation.override("fr"):
        return html.escape(translation.gettext(text))


# What the pages say, in French: the refusal without a solution, and the wait
# without JavaScript (the start of its sentence, before the number of seconds).
REQUIRED = _in_french(
    "The form was sent without the anti-robot check. Please reload the page and send it again."
).split(".")[0]
with translation.override("fr"):
    TOO_EARLY = html.escape(
        translation.ngettext(
            "Please wait %(seconds)d more second, then send the form again.",
            "Please wait %(seconds)d more seconds, then send the form again.",
            2,
        )
    ).split("%")[0]


@pytest.fixture(autouse=True)
def _enabled():
    cache.clear()
    with override_settings(**ON):
        yield
    cache.clear()


def solution(issued: dict | None = None, /, **changes) -> str:
    """A challenge from the server solved as a client does (the library's solver)."""
    challenge = issued or antibot.challenge_create()
    found = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    payload = {**challenge, "number": found.number, **changes}
    payload.pop("maxnumber")
    return base64.b64encode(json.dumps(payload).encode()).decode()


def solved_by_hand(challenge: dict) -> str:
    """The documented recipe, without the library: SHA-256 of salt + number."""
    number = next(
        n
        for n in range(challenge["maxnumber"] + 1)
        if hashlib.sha256(f"{challenge['salt']}{n}".encode()).hexdigest() == challenge["challenge"]
    )
    return base64.b64encode(json.dumps({**challenge, "number": number}).encode()).decode()


# --- Challenges and solutions ------------------------------------------------------------


def test_a_challenge_carries_the_cost_setting_and_an_expiry():
    with override_settings(ANTIBOT_MAX_NUMBER=12345, ANTIBOT_EXPIRY_SECONDS=600):
        challenge = antibot.challenge_create(now=1_000_000)

    assert challenge["algorithm"] == "SHA-256"
    assert challenge["maxnumber"] == 12345
    assert "expires=1000600" in challenge["salt"]


def test_a_solution_is_accepted_once_then_refused_as_a_replay():
    payload = solution()

    antibot.solution_verify(payload)
    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.solution_verify(payload)


def test_the_documented_recipe_solves_a_challenge():
    antibot.solution_verify(solved_by_hand(antibot.challenge_create()))


@pytest.mark.parametrize(
    "changes",
    [
        {"number": -1},
        {"signature": "0" * 64},
        {"algorithm": "SHA-1"},
        {"challenge": "0" * 64},
    ],
    ids=["wrong number", "forged signature", "other algorithm", "other challenge"],
)
def test_a_tampered_solution_is_refused(changes):
    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.solution_verify(solution(**changes))


def test_a_challenge_with_its_expiry_changed_is_refused():
    challenge = antibot.challenge_create()
    payload = json.loads(base64.b64decode(solution(challenge)))
    payload["salt"] = payload["salt"].replace("expires=", "expires=9")

    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.solution_verify(base64.b64encode(json.dumps(payload).encode()).decode())


def test_a_challenge_signed_with_another_key_is_refused():
    other = altcha.create_challenge_v1(
        algorithm="SHA-256", max_number=100, hmac_key="not-ours", expires=None
    ).to_dict()
    other["maxnumber"] = other.pop("maxNumber")

    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.solution_verify(solution(other))


def test_an_expired_solution_is_refused():
    payload = solution(antibot.challenge_create(now=time.time() - 7200))

    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.solution_verify(payload)


@pytest.mark.parametrize("payload", ["", "not base64 !", base64.b64encode(b"[1]").decode()])
def test_a_malformed_solution_is_refused(payload):
    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.solution_verify(payload)


# --- The no-script wait -------------------------------------------------------------------


def test_a_wait_token_sent_too_early_says_how_long_to_wait_and_stays_usable():
    token = antibot.wait_token_create(now=1000.0)

    with override_settings(ANTIBOT_NOSCRIPT_WAIT_SECONDS=10), translation.override("en"):
        with pytest.raises(antibot.ProofOfWorkTooEarly) as refused:
            antibot.wait_token_verify(token, now=1003.2)
        assert refused.value.seconds == 7
        assert refused.value.code == "proof_of_work_too_early"
        assert "wait 7 more seconds" in refused.value.detail
        assert antibot.wait_token_usable(token, now=1003.2)

        antibot.wait_token_verify(token, now=1010.0)
        assert not antibot.wait_token_usable(token, now=1011.0)
        with pytest.raises(antibot.ProofOfWorkInvalid):
            antibot.wait_token_verify(token, now=1011.0)


def test_a_forged_or_expired_wait_token_is_refused():
    token = antibot.wait_token_create(now=1000.0)

    with pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.wait_token_verify(token[:-2] + "xx", now=2000.0)
    with override_settings(ANTIBOT_EXPIRY_SECONDS=3600), pytest.raises(antibot.ProofOfWorkInvalid):
        antibot.wait_token_verify(token, now=1000.0 + 3601)


def test_the_wait_message_is_built_in_the_active_language_with_its_plural():
    # Translated at raise time (ngettext in the request's language); the French and
    # Arabic texts are in /work/trans/altcha.*.json until the catalogues are filled.
    with translation.override("en"):
        one = antibot.ProofOfWorkTooEarly(seconds=1).detail
        three = antibot.ProofOfWorkTooEarly(seconds=3).detail

    assert one == "Please wait 1 more second, then send the form again."
    assert three == "Please wait 3 more seconds, then send the form again."


def test_off_lets_everything_through(rf):
    with override_settings(ANTIBOT_ENABLED=False):
        assert antibot.antibot_check(rf.post("/", {})) is None
        antibot.antibot_require(rf.post("/", {}))


# --- The challenge endpoint ------------------------------------------------------------


def test_the_challenge_endpoint_gives_a_fresh_challenge_nobody_caches():
    response = APIClient().get(reverse("api:challenge"))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    antibot.solution_verify(solved_by_hand(body))


def test_the_challenge_endpoint_is_rate_limited_per_client_address():
    with override_settings(RATELIMITS={"challenge": {"ip": (2, 60)}}):
        codes = [APIClient().get(reverse("api:challenge")).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_the_schema_documents_the_endpoint_and_how_to_solve():
    schema = APIClient().get(reverse("api:schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/challenge/"]["get"]

    assert "SHA-256" in operation["description"] and "Altcha" in operation["description"]


# --- Registration ------------------------------------------------------------------------

REGISTRATION = {
    "email": "awa@example.test",
    "password": "un-long-mot-de-passe-93",
    "phone": "06 12 34 56 78",
    "consent": "on",
}


def test_registration_without_a_solution_is_refused_and_creates_nothing(client):
    page = client.get(reverse("accounts:register")).content.decode()
    assert "<altcha-widget" in page and 'name="antibot_wait"' in page

    response = client.post(reverse("accounts:register"), REGISTRATION)

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not User.objects.exists()


def test_registration_with_a_solution_creates_the_account(client):
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "altcha": solution()})

    assert response.status_code == 302
    assert User.objects.filter(email="awa@example.test").exists()


def test_registration_without_javascript_waits_then_goes_through(client):
    token = antibot.wait_token_create()

    early = client.post(reverse("accounts:register"), {**REGISTRATION, "antibot_wait": token})
    html = early.content.decode()
    assert TOO_EARLY in html
    assert token in html  # the same token: the wait already done counts
    assert not User.objects.exists()

    late = antibot.wait_token_create(now=time.time() - 6)
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "antibot_wait": late})
    assert response.status_code == 302
    assert User.objects.count() == 1


# --- The substitution form and its API -------------------------------------------------------


def test_substitution_form_without_a_solution_is_refused_and_files_nothing(client, procedure, site):
    response = client.post(reverse("substitution:request"), form_data(procedure, site))

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not SubstitutionRequest.objects.exists()


def test_substitution_form_with_a_solution_files_the_request(client, procedure, site):
    data = {**form_data(procedure, site), "altcha": solution()}
    response = client.post(reverse("substitution:request"), data)

    assert response.status_code == 302
    assert SubstitutionRequest.objects.count() == 1


def _substitution_body(procedure) -> dict:
    return {
        "surname": "N'Diaye",
        "given_names": "Élodie",
        "birth_date": "1991-03-04",
        "nationality": "SN",
        "document_type": "agdref",
        "document_number": "9312345678",
        "procedure": procedure.slug,
        "reason": "technical_failure",
        "phone": "06 12 34 56 78",
    }


def test_substitution_api_without_a_solution_is_a_400_and_files_nothing(procedure):
    response = APIClient().post(
        "/api/v1/substitution-requests/", _substitution_body(procedure), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "proof_of_work_required"
    assert not SubstitutionRequest.objects.exists()


def test_substitution_api_with_a_solution_files_it_and_refuses_its_replay(procedure):
    header = solution()
    first = APIClient().post(
        "/api/v1/substitution-requests/",
        _substitution_body(procedure),
        format="json",
        HTTP_ALTCHA=header,
    )
    again = APIClient().post(
        "/api/v1/substitution-requests/",
        {**_substitution_body(procedure), "document_number": "9312345679"},
        format="json",
        HTTP_ALTCHA=header,
    )

    assert first.status_code == 201
    assert again.status_code == 400 and again.json()["code"] == "proof_of_work_invalid"
    assert SubstitutionRequest.objects.count() == 1


# --- Booking: the confirm page and the API ---------------------------------------------------


def test_booking_confirm_without_a_solution_books_nothing(applicant, slot):
    client = login(Client(), applicant.user)
    url = reverse("booking:confirm", args=[slot.pk])

    response = client.post(url, follow=True)

    assert REQUIRED in response.content.decode()
    assert not Appointment.objects.exists()
    assert client.post(url, {"altcha": solution()}).status_code == 302
    assert Appointment.objects.filter(applicant=applicant).count() == 1


def test_booking_confirm_sent_too_early_without_javascript_books_nothing(applicant, slot):
    client = login(Client(), applicant.user)
    token = antibot.wait_token_create()

    response = client.post(reverse("booking:confirm", args=[slot.pk]), {"antibot_wait": token})

    assert response.status_code == 200
    assert TOO_EARLY in response.content.decode()
    assert token in response.content.decode()
    assert not Appointment.objects.exists()


def test_booking_api_of_an_applicant_without_a_solution_is_a_400_and_books_nothing(
    applicant_user, slot
):
    response = token_client(applicant_user).post(
        "/api/v1/appointments/", {"slot": slot.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "proof_of_work_required"
    assert "/api/v1/challenge/" in response.json()["detail"]
    assert not Appointment.objects.exists()


def test_booking_api_of_an_applicant_with_a_solution_takes_the_same_queries(
    applicant_user, slot, django_assert_num_queries
):
    from booking import statements

    statements._ids.clear()  # the worst case, as the hot path's own test
    api = token_client(applicant_user)

    with django_assert_num_queries(BOOKING_QUERIES):
        response = api.post(
            "/api/v1/appointments/", {"slot": slot.pk}, format="json", HTTP_ALTCHA=solution()
        )

    assert response.status_code == 201


def test_staff_booking_by_api_is_not_asked_for_a_solution(agent, slot):
    person = factories.ApplicantFactory()

    response = token_client(agent).post(
        "/api/v1/appointments/", {"slot": slot.pk, "applicant": person.pk}, format="json"
    )

    assert response.status_code == 201


# --- Joining a waiting list -------------------------------------------------------------


@pytest.fixture
def listed(site):
    from booking.models import AllocationMode, AllocationPolicy

    procedure = factories.ProcedureFactory()
    AllocationPolicy.objects.create(procedure=procedure, mode=AllocationMode.QUEUE)
    return procedure


def test_joining_a_list_on_the_page_without_a_solution_joins_nothing(applicant, site, listed):
    from allocation.models import WaitlistEntry

    client = login(Client(), applicant.user)
    url = reverse("allocation:join", args=[listed.slug])

    response = client.post(url, {"sites": [site.pk]})

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not WaitlistEntry.objects.exists()
    assert client.post(url, {"sites": [site.pk], "altcha": solution()}).status_code == 302
    assert WaitlistEntry.objects.filter(applicant=applicant).count() == 1


def test_joining_a_list_without_javascript_waits_then_goes_through(applicant, site, listed):
    """The join form carries a wait token for a browser without JavaScript:
    sent too early it joins nothing and keeps the token, sent after the wait
    it joins."""
    from allocation.models import WaitlistEntry

    client = login(Client(), applicant.user)
    url = reverse("allocation:join", args=[listed.slug])
    assert 'name="antibot_wait"' in client.get(url).content.decode()
    token = antibot.wait_token_create()

    early = client.post(url, {"sites": [site.pk], "antibot_wait": token})
    assert TOO_EARLY in early.content.decode()
    assert token in early.content.decode()
    assert not WaitlistEntry.objects.exists()

    late = antibot.wait_token_create(now=time.time() - 6)
    assert client.post(url, {"sites": [site.pk], "antibot_wait": late}).status_code == 302
    assert WaitlistEntry.objects.filter(applicant=applicant).count() == 1


def test_joining_a_list_by_api_without_a_solution_is_a_400_and_joins_nothing(
    applicant_user, site, listed
):
    from allocation.models import WaitlistEntry

    api = token_client(applicant_user)
    body = {"procedure": listed.slug, "sites": [site.slug]}

    response = api.post("/api/v1/waitlist/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "proof_of_work_required"
    assert not WaitlistEntry.objects.exists()
    response = api.post("/api/v1/waitlist/", body, format="json", HTTP_ALTCHA=solution())
    assert response.status_code == 201, response.content
    assert WaitlistEntry.objects.count() == 1


def test_staff_joining_someone_by_api_is_not_asked_for_a_solution(agent, site, listed):
    person = factories.ApplicantFactory()

    response = token_client(agent).post(
        "/api/v1/waitlist/",
        {"procedure": listed.slug, "sites": [site.slug], "applicant": person.pk},
        format="json",
    )

    assert response.status_code == 201, response.content
