"""What the "nothing free" pages need to know to point to the waiting list."""

from __future__ import annotations

from django import template
from django.db.models import Q

from booking.models import AllocationMode, AllocationPolicy, Procedure

register = template.Library()


@register.filter
def given_by_list(procedure: Procedure | None) -> bool:
    """Is ``procedure``'s capacity given out by its waiting list at some active
    site (or at every site)? One query."""
    if procedure is None or getattr(procedure, "pk", None) is None:
        return False
    return AllocationPolicy.objects.filter(
        Q(site__isnull=True) | Q(site__is_active=True),
        procedure_id=procedure.pk,
        mode=AllocationMode.QUEUE,
    ).exists()
