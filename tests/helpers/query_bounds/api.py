"""The API's token revocation, documentation and JSON 404 (``API_ROUTES``);
Twilio's webhooks (``WEBHOOK_ROUTES``)."""

from __future__ import annotations

from django.urls import reverse
from twilio.request_validator import RequestValidator

from tests.helpers.query_bounds.world import PUBLIC_BASE_URL, TWILIO_TOKEN, Ask, World


def _twilio_signed(world: World, path: str, data: dict) -> dict:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, data)
    return {"HTTP_X_TWILIO_SIGNATURE": signature}


API_ROUTES: dict[str, list[Ask]] = {
    # The token with its account, recording its use (fresh: every time), the
    # DELETE and its audit row, in a transaction.
    "api:auth-token-revoke": [
        Ask(
            "api client",
            "delete",
            lambda w: reverse("api:auth-token-revoke", args=[w.token.pk]),
            6,
            204,
        )
    ],
    # Static: no session, no token, no query.
    "api:docs": [
        Ask("anonymous", "get", lambda w: reverse("api:docs"), 0, 200, label="page"),
        Ask("anonymous", "get", lambda w: reverse("api:docs") + "?script", 0, 200, label="script"),
    ],
    # Not even the token is looked up.
    "api:not-found": [Ask("api client", "get", lambda w: "/api/v1/nothing/", 0, 404)],
}

WEBHOOK_ROUTES: dict[str, list[Ask]] = {
    # One UPDATE of the message Twilio names.
    "notifications:twilio_status": [
        Ask(
            "twilio",
            "post",
            lambda w: reverse("notifications:twilio_status"),
            1,
            204,
            data=lambda w: {"MessageSid": w.sms.provider_id, "MessageStatus": "delivered"},
            headers=_twilio_signed,
        )
    ],
    # The opt-out (get_or_create: 2 queries and a transaction); one UPDATE of the
    # alerts owed to the number.
    "notifications:twilio_inbound": [
        Ask(
            "twilio",
            "post",
            lambda w: reverse("notifications:twilio_inbound"),
            5,
            200,
            data=lambda w: {"From": w.phone, "Body": "STOP"},
            headers=_twilio_signed,
        )
    ],
}
