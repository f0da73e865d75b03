"""``{% time_limit %}``: the sentence that announces a time limit on a page (RGAA 13.1),
from the setting that enforces it, so the two never disagree.

    {% time_limit "session" %}            the idle session (accounts.idle)
    {% time_limit "phone_code" %}         the code sent by text message
    {% time_limit "until" deadline=when %}  an answer owed by a moment (an offer)
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.utils.translation import ngettext

register = template.Library()


def duration_text(minutes: int) -> str:
    """``minutes`` in the largest whole unit: "60 minutes" is said "1 hour"."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


@register.inclusion_tag("includes/time_limit.html")
def time_limit(kind: str, deadline: datetime | None = None) -> dict:
    minutes = {
        "session": settings.SESSION_IDLE_MINUTES,
        "phone_code": settings.ACCOUNTS_PHONE_CODE_MINUTES,
    }.get(kind)
    return {
        "kind": kind,
        "duration": duration_text(minutes) if minutes else "",
        "deadline": deadline,
    }
