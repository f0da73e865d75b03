"""The export of everything Guichet holds about an account."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from privacy.selectors import personal_data


def personal_data_export(*, user: User, now: datetime | None = None) -> dict:
    """Everything Guichet holds about ``user`` (``privacy.selectors.personal_data``),
    stamped with the moment of export; the export itself is audited."""
    now = now or timezone.now()
    data = personal_data(user)
    data["exported_at"] = now.isoformat()
    audit_record(actor=user, action=AuditAction.PERSONAL_DATA_EXPORTED, subject_user=user)
    return data
