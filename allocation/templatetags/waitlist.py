"""``{% waitlist_entry_of procedure as entry %}``: the user's entry in force on
``procedure``'s waiting list, or ``None``. For booking's sites step, which
shows the list's sites (booking imports nothing from the layer above it; its
template asks here)."""

from __future__ import annotations

from django import template

from allocation.models import ENTRY_IN_FORCE, WaitlistEntry

register = template.Library()


@register.simple_tag(takes_context=True)
def waitlist_entry_of(context, procedure) -> WaitlistEntry | None:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return None
    return WaitlistEntry.objects.filter(
        applicant__user_id=user.pk, procedure_id=procedure.pk, status__in=ENTRY_IN_FORCE
    ).first()
