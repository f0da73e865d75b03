"""The matrix's cases for the public pages, the substitution route and accounts.

The pages anyone reaches; the substitution route, public (a request without an
account) and on the agents' side (their queue, their sites; supervisors: all);
accounts (logging in and out, registering, confirming, one's own account, the
second factor); and what supervisors do with accounts: lock-outs, staff
accounts, the audit trail.
"""

from __future__ import annotations

from tests.helpers.matrix.data import _request_at, _substitution_form
from tests.helpers.matrix.expectations import (
    ANY_REDIRECT,
    LOGIN,
    OTP,
    PUBLIC,
    REDIRECT,
    SUBSTITUTION_STAFF,
    Case,
    logged_in,
    outcomes,
    supervisors_only,
)

_STAFF_TARGET = {"kwargs": lambda s: {"user_id": s.colleague.pk}}


CASES: dict[str, list[Case]] = {
    # --- Public pages
    "home": [Case(PUBLIC)],
    "accessibility": [Case(PUBLIC)],
    "site_map": [Case(PUBLIC)],
    "set_language": [Case(ANY_REDIRECT, method="POST", data=lambda s: {"language": "en"})],
    "mediation:points": [Case(PUBLIC)],
    "mediation:substitution": [Case(PUBLIC)],
    # --- The substitution route: public, no account
    "substitution:request": [
        Case(PUBLIC),
        Case(ANY_REDIRECT, method="POST", data=_substitution_form, label="a complete request"),
        Case(PUBLIC, method="POST", data=lambda s: {}, label="an empty request"),
    ],
    "substitution:received": [Case(ANY_REDIRECT, label="nothing filed in this session")],
    "substitution:status": [
        Case(PUBLIC),
        Case(
            PUBLIC,
            method="POST",
            data=lambda s: {"tracking": "SSSSSSSSS2", "birth_date": "1990-01-02"},
            label="the right pair (the request exists once the agents' cases ran)",
        ),
    ],
    # --- The substitution route: the agents' queue (their sites; supervisors: all)
    "substitution_agent:queue": [Case(SUBSTITUTION_STAFF)],
    "substitution_agent:detail": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=_request_at("site"),
            label="wishing the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=200, supervisor=200),
            kwargs=_request_at("other_site"),
            label="wishing the other site",
        ),
        Case(SUBSTITUTION_STAFF, kwargs=_request_at("none"), label="wishing no site"),
    ],
    "substitution_agent:take": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
        )
    ],
    "substitution_agent:book": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"slot": s.slots["free"].pk},
            label="a free time at the site",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"slot": s.slots["other"].pk},
            label="a time at the other site: not offered to the site's agent",
        ),
    ],
    "substitution_agent:answer": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=REDIRECT, other_agent=404, supervisor=REDIRECT),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"outcome": "referred", "answer": "Ask the OFII."},
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            method="POST",
            kwargs=_request_at("site"),
            data=lambda s: {"outcome": "refused", "answer": ""},
            label="without a reason",
        ),
    ],
    "substitution_agent:letter": [
        Case(
            outcomes(403, anonymous=LOGIN, agent=200, other_agent=404, supervisor=200),
            kwargs=_request_at("site", answered=True),
            label="answered",
        ),
        Case(
            outcomes(403, anonymous=LOGIN, agent=404, other_agent=404, supervisor=404),
            kwargs=_request_at("site"),
            label="not answered yet",
        ),
    ],
    # --- Accounts: logging in and out, registering, confirming
    "accounts:login": [Case(outcomes(REDIRECT, anonymous=200))],
    "accounts:logout": [Case(ANY_REDIRECT, method="POST")],
    "accounts:register": [Case(outcomes(REDIRECT, anonymous=200))],
    "accounts:verify": [Case(logged_in(200))],
    "accounts:email_resend": [Case(logged_in(REDIRECT), method="POST")],
    # A link that is not valid (or someone else's) is refused the same to everyone.
    "accounts:email_confirm": [Case(outcomes(409), kwargs=lambda s: {"token": "not-a-token"})],
    "accounts:phone_confirm": [Case(logged_in(REDIRECT), method="POST")],
    "accounts:phone_code_resend": [Case(logged_in(REDIRECT), method="POST")],
    "accounts:password_reset": [Case(PUBLIC)],
    "accounts:password_reset_done": [Case(PUBLIC)],
    "accounts:password_reset_confirm": [
        Case(PUBLIC, kwargs=lambda s: {"uidb64": "MQ", "token": "not-a-token"})
    ],
    "accounts:password_reset_complete": [Case(PUBLIC)],
    "accounts:password_change": [Case(logged_in(200))],
    "accounts:password_change_done": [Case(logged_in(200))],
    # --- Accounts: my account (everyone's own; staff accounts are closed by an administrator)
    "accounts:me": [Case(logged_in(200))],
    "accounts:email_change": [Case(logged_in(200))],
    "accounts:phone_change": [Case(logged_in(200))],
    "accounts:language": [
        Case(logged_in(REDIRECT), method="POST", data=lambda s: {"language": "fr"})
    ],
    "accounts:data_export": [Case(logged_in(200))],
    "accounts:delete": [
        Case(outcomes(REDIRECT, anonymous=LOGIN, applicant=200, other_applicant=200)),
        Case(
            outcomes(REDIRECT, anonymous=LOGIN, applicant=200, other_applicant=200),
            method="POST",
            data=lambda s: {"password": "wrong"},
            label="a wrong password",
        ),
    ],
    "accounts:tokens": [Case(logged_in(200))],
    "accounts:token_revoke": [
        Case(
            outcomes(404, anonymous=LOGIN, applicant=REDIRECT),
            method="POST",
            kwargs=lambda s: {"token_id": s.token.pk},
        )
    ],
    # --- Accounts: the second factor (optional for applicants, mandatory for staff).
    # Every persona here is already verified, or has no device (the applicants).
    "accounts:otp_setup": [Case(logged_in(200))],
    "accounts:otp_verify": [Case(logged_in(REDIRECT))],
    "accounts:otp_backup_codes": [
        Case(outcomes(200, anonymous=LOGIN, applicant=OTP, other_applicant=OTP))
    ],
    # Staff cannot turn it off.
    "accounts:otp_disable": [
        Case(outcomes(REDIRECT, anonymous=LOGIN, applicant=200, other_applicant=200))
    ],
    # --- Supervisors: lock-outs, staff accounts, the audit trail
    "accounts:lockouts": [
        Case(supervisors_only()),
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            data=lambda s: {"email": s.users["applicant"].email},
        ),
    ],
    "staff:list": [Case(supervisors_only())],
    "staff:create": [
        Case(supervisors_only()),
        Case(
            supervisors_only(200),  # the form again, with what is missing
            method="POST",
            data=lambda s: {"email": "new.agent@example.test", "role": "agent"},
        ),
    ],
    "staff:edit": [
        Case(supervisors_only(), **_STAFF_TARGET),
        Case(
            supervisors_only(REDIRECT),
            method="POST",
            data=lambda s: {"role": "supervisor"},
            label="promote the colleague",
            **_STAFF_TARGET,
        ),
    ],
    "staff:deactivate": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "staff:reactivate": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "staff:invitation": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "staff:otp_reset": [Case(supervisors_only(REDIRECT), method="POST", **_STAFF_TARGET)],
    "audit:search": [Case(supervisors_only())],
    "audit:export": [Case(supervisors_only())],
}
