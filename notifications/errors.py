"""Errors of the alert subscriptions, translated like every domain error."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput, NotFound


class AlertNeedsSite(InvalidInput):
    code = "alert_needs_site"
    default_message = _("Choose at least one place.")


class AlertChannelUnavailable(InvalidInput):
    code = "alert_channel_unavailable"
    default_message = _(
        "Choose how to be alerted: by SMS needs a confirmed mobile phone number, by e-mail "
        "a confirmed address."
    )


class AlertNotFound(NotFound):
    code = "alert_not_found"
    default_message = _("This alert does not exist or the link is no longer valid.")


class AlertsNotOffered(InvalidInput):
    code = "alerts_not_offered"
    default_message = _(
        "There are no alerts for this procedure: a mediator at a digital access point or "
        "a prefecture agent books it for you."
    )
