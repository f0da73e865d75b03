"""The accessibility visits of the public pages, of the substitution route (its
agents' side too) and of accounts: the first area of ``PAGES``."""

from __future__ import annotations

from django.urls import reverse

from notifications.services import unsubscribe_token
from tests.helpers.accessibility.visits import _WRONG, Visit, _reset_link
from tests.helpers.matrix import substitution_request

PUBLIC_PAGES: dict[str, list[Visit]] = {
    # --- Public pages (the header differs once logged in)
    "home": [Visit("anonymous"), Visit("applicant"), Visit("agent")],
    "accessibility": [Visit("anonymous"), Visit("applicant")],
    # Each persona's own site map: personal pages, or the work area.
    "site_map": [Visit("anonymous"), Visit("applicant"), Visit("mediator"), Visit("supervisor")],
    "mediation:points": [Visit("anonymous")],
    "mediation:substitution": [Visit("anonymous")],
    # --- The substitution route
    "substitution:request": [
        Visit("anonymous"),
        Visit("anonymous", errors={"surname": "", "document_number": "12"}),
    ],
    "substitution:status": [
        Visit("anonymous"),
        Visit("anonymous", errors={"tracking": "SAAAAAAAAA", "birth_date": "1990-01-02"}),
    ],
    "substitution_agent:queue": [Visit("agent"), Visit("supervisor", query={"state": "all"})],
    "substitution_agent:detail": [
        Visit("agent", kwargs=lambda s: {"pk": substitution_request(s, "site").pk}),
        Visit(
            "agent",
            kwargs=lambda s: {"pk": substitution_request(s, "site", answered=True).pk},
            label="answered",
        ),
    ],
    "substitution_agent:book": [
        Visit(
            "agent",
            path=lambda s: reverse(
                "substitution_agent:detail", args=[substitution_request(s, "site").pk]
            ),
            errors={},
            form='main form[action$="/book/"]',
        )
    ],
    "substitution_agent:answer": [
        Visit(
            "agent",
            path=lambda s: reverse(
                "substitution_agent:detail", args=[substitution_request(s, "site").pk]
            ),
            errors={"answer": ""},
        )
    ],
    "notifications:alert_unsubscribe": [
        Visit("anonymous", kwargs=lambda s: {"token": unsubscribe_token(s.alert.pk)})
    ],
    # --- Accounts
    "accounts:login": [
        Visit("anonymous"),
        Visit("anonymous", errors={"username": "nobody@example.test", "password": "wrong"}),
    ],
    "accounts:register": [Visit("anonymous"), Visit("anonymous", errors={"email": _WRONG})],
    "accounts:verify": [Visit("applicant")],
    "accounts:email_confirm": [
        Visit(
            "anonymous",
            kwargs=lambda s: {"token": "not-a-token"},
            status=409,
            template="core/domain_error.html",
            label="a link that is not valid",
        )
    ],
    "accounts:password_reset": [
        Visit("anonymous"),
        Visit("anonymous", errors={"email": _WRONG}),
    ],
    "accounts:password_reset_done": [Visit("anonymous")],
    "accounts:password_reset_confirm": [
        Visit(
            "anonymous",
            kwargs=lambda s: {"uidb64": "MQ", "token": "not-a-token"},
            label="a link that is not valid",
        ),
        Visit("anonymous", kwargs=_reset_link, label="a valid link"),
        Visit(
            "anonymous",
            kwargs=_reset_link,
            label="a valid link",
            errors={"new_password1": "a", "new_password2": "b"},
        ),
    ],
    "accounts:password_reset_complete": [Visit("anonymous")],
    "accounts:password_change": [
        Visit("applicant"),
        Visit("applicant", errors={"old_password": "wrong"}),
    ],
    "accounts:password_change_done": [Visit("applicant")],
    "accounts:me": [Visit("applicant"), Visit("agent")],
    "accounts:email_change": [Visit("applicant"), Visit("applicant", errors={"email": _WRONG})],
    "accounts:phone_change": [Visit("applicant"), Visit("applicant", errors={"phone": "12"})],
    "accounts:delete": [Visit("applicant"), Visit("applicant", errors={"password": "wrong"})],
    "accounts:tokens": [Visit("applicant", label="a token")],
    "accounts:otp_setup": [Visit("applicant"), Visit("applicant", errors={"code": "000000"})],
    "accounts:otp_verify": [
        Visit("unverified_agent"),
        Visit("unverified_agent", errors={"code": "000000"}),
    ],
    "accounts:otp_backup_codes": [Visit("agent")],
    "accounts:otp_disable": [Visit("applicant")],
}
