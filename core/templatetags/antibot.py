"""``{% antibot_fields %}``: the proof-of-work inside a protected form (``core.antibot``).

The ALTCHA widget (it fetches a challenge and solves it by itself as the page
loads: nothing to do, nothing to see but its state) and, for a browser without
JavaScript, the wait token and a note asking to wait a few seconds. A form sent
back with an error keeps its unused wait token, so the wait already done counts.
Nothing at all when ``ANTIBOT_ENABLED`` is off.
"""

from __future__ import annotations

import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from core import antibot

register = template.Library()


def widget_strings() -> str:
    """The widget's texts in the active language, as its ``strings`` attribute."""
    return json.dumps(
        {
            "label": _("Anti-robot check (automatic)"),
            "verify": _("Check"),
            "verifying": _("Checking automatically…"),
            "verified": _("Checked"),
            "waitAlert": _("Checking automatically… please wait a moment."),
            "verificationRequired": _("Please wait for the automatic check to finish."),
            "error": _("The check failed. Please reload the page."),
            "expired": _("The check expired. It starts again by itself."),
            "loading": _("Loading…"),
            "reload": _("Reload"),
            "ariaLinkLabel": "ALTCHA",
            "footer": "",
        },
        ensure_ascii=False,
    )


@register.inclusion_tag("includes/antibot.html", takes_context=True)
def antibot_fields(context: template.Context) -> dict:
    if not settings.ANTIBOT_ENABLED:
        return {"enabled": False}
    request = context.get("request")
    posted = request.POST.get(antibot.WAIT_FIELD) if request is not None else None
    token = posted if antibot.wait_token_usable(posted) else antibot.wait_token_create()
    return {
        "enabled": True,
        "challenge_url": reverse("api:challenge"),
        "strings": widget_strings(),
        "wait_field": antibot.WAIT_FIELD,
        "wait_token": token,
        "wait_seconds": settings.ANTIBOT_NOSCRIPT_WAIT_SECONDS,
        "solution_field": antibot.SOLUTION_FIELD,
    }
