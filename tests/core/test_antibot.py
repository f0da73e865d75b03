"""The proof-of-work against bots (``core.antibot``): challenges made and verified,
single use, tampering and expiry refused, the no-script wait; then each protected
form and endpoint (``test_antibot_forms.py``).

The rest of the suite runs with the check off (config/settings_test.py); these
tests turn it on with real values."""

from __future__ import annotations

import base64
import json
import time

import altcha
import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core import antibot
from tests.helpers.antibot import enabled, solution, solved_by_hand  # noqa: F401 - enabled: autouse

pytestmark = pytest.mark.django_db


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
