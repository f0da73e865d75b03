"""What the data export reads: everything Guichet holds about an account."""

from __future__ import annotations

from typing import Any

from accounts.messages import message_subject_shown, message_text_shown
from accounts.models import User
from accounts.selectors import account_messages
from booking.identity.selectors import applicant_of
from booking.models import Appointment
from notifications.models import AlertSubscription


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(user: User) -> dict[str, Any]:
    """Everything Guichet holds about ``user`` and their identity, as JSON-ready data.

    Only this account's rows: appointments by its identity, messages to it or
    to its identity, its alert subscriptions, its refused identity claims.
    """
    applicant = applicant_of(user)
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "email_verified_at": _iso(user.email_verified_at),
            "phone": user.phone,
            "phone_verified_at": _iso(user.phone_verified_at),
            "full_name": user.full_name,
            "language": user.language,
            "role": user.role,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "identity": None,
        "appointments": [],
        "alert_subscriptions": [],
        "messages": [],
        "refused_identity_claims": [
            {"identity_key": key, "at": _iso(at)}
            for key, at in user.identity_claim_attempts.values_list("identity_key", "created_at")
        ],
    }
    if applicant is not None:
        data["identity"] = {
            "surname": applicant.surname,
            "given_names": applicant.given_names,
            "birth_date": _iso(applicant.birth_date),
            "nationality": str(applicant.nationality),
            "document_type": applicant.document_type,
            "document_number": applicant.document_number,
            "phone": applicant.phone,
            "email": applicant.email,
            "preferred_language": applicant.preferred_language,
            "created_at": _iso(applicant.created_at),
        }
        appointments = Appointment.objects.filter(applicant=applicant).select_related(
            "slot__site", "procedure"
        )
        data["appointments"] = [
            {
                "reference": a.reference,
                "procedure": a.procedure.name,
                "site": a.slot.site.name,
                "starts_at": _iso(a.slot.starts_at),
                "status": a.status,
                "channel": a.channel,
                "surname": a.surname,
                "given_names": a.given_names,
                "birth_date": _iso(a.birth_date),
                "nationality": str(a.nationality),
                "document_type": a.document_type,
                "document_number": a.document_number,
                "booked_at": _iso(a.created_at),
                "cancelled_at": _iso(a.cancelled_at),
            }
            for a in appointments
        ]
        subscriptions = (
            AlertSubscription.objects.filter(applicant=applicant)
            .select_related("procedure")
            .prefetch_related("sites")
        )
        data["alert_subscriptions"] = [
            {
                "procedure": s.procedure.name,
                "sites": sorted(site.name for site in s.sites.all()),
                "channels": s.channels,
                "active": s.is_active,
                "created_at": _iso(s.created_at),
            }
            for s in subscriptions
        ]
    # A code or a link a message carries is in the message only, never here.
    data["messages"] = [
        {
            "channel": m.channel,
            "template": m.template_key,
            "destination": m.destination,
            "subject": message_subject_shown(m),
            "text": message_text_shown(m),
            "status": m.status,
            "created_at": _iso(m.created_at),
            "sent_at": _iso(m.sent_at),
        }
        for m in account_messages(user, applicant)
    ]
    return data
