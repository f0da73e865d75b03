"""What the tests of the priority classes share (``tests/allocation/
test_priority_refresh.py``, ``test_priority_sweep.py``): a person joined at a
site, the list's places, an entry's reclassifications as audited, a closure's
right given."""

from __future__ import annotations

from django.utils import timezone

from allocation.selectors import position_of
from allocation.services import entries_reclassify, waitlist_join
from audit.models import AuditAction, AuditEvent
from tests import factories


def join_at_site(applicant, procedure, site):
    """``applicant`` on ``procedure``'s list, for ``site``."""
    return waitlist_join(
        actor=applicant.user, applicant=applicant, procedure=procedure, site_ids=[site.pk]
    )


def places(entries) -> list[int]:
    """Each entry's place in its list, read again."""
    for entry in entries:
        entry.refresh_from_db()
    return [position_of(entry) for entry in entries]


def reclassified(entry) -> list[tuple[int, int, str]]:
    """The entry's changes of class, audited: (before, after, reason)."""
    return [
        (e.details["priority_class_before"], e.details["priority_class"], e.details["reason"])
        for e in AuditEvent.objects.filter(
            action=AuditAction.WAITLIST_RECLASSIFIED, details__entry=entry.pk
        ).order_by("pk")
    ]


def right_given(applicant, procedure, **fields):
    """A closure's right, and the entry's class moved as a closure moves it."""
    factories.PriorityRightFactory(applicant=applicant, procedure=procedure, **fields)
    entries_reclassify(
        applicant_ids=[applicant.pk],
        procedure_id=procedure.pk,
        now=timezone.now(),
        reason="closure",
    )
