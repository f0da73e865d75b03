"""System checks of the notifications settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from notifications.delivery import delivery_problems


@register()
def publish_linger_within_sweep_grace(app_configs=None, **kwargs) -> list[Error]:
    """The sweep republishes a pending row once it has been due for
    ``NOTIFICATIONS_PENDING_GRACE``: a publisher that lingered that long would
    have every message published twice (sent once, but twice the work)."""
    linger = settings.NOTIFICATIONS_PUBLISH_LINGER_MS / 1000
    if linger * 10 > settings.NOTIFICATIONS_PENDING_GRACE:
        return [
            Error(
                f"NOTIFICATIONS_PUBLISH_LINGER_MS={settings.NOTIFICATIONS_PUBLISH_LINGER_MS} "
                "is too long: keep it under a tenth of NOTIFICATIONS_PENDING_GRACE "
                f"({settings.NOTIFICATIONS_PENDING_GRACE} s), after which the sweep "
                "publishes a pending message again.",
                id="notifications.E001",
            )
        ]
    return []


@register(deploy=True)
def messages_are_delivered(app_configs=None, **kwargs) -> list[Error]:
    """``check --deploy``: no console, in-memory, dummy or file transport in
    production. The settings refuse them at start-up as well."""
    problems = delivery_problems(
        debug=settings.DEBUG,
        email_backend=settings.EMAIL_BACKEND,
        sms_backend=settings.SMS_BACKEND,
    )
    ids = {"EMAIL_BACKEND": "notifications.E101", "SMS_BACKEND": "notifications.E102"}
    return [Error(problem, id=ids[name]) for name, problem in problems.items()]


@register()
def contact_phone_regions_known(app_configs=None, **kwargs) -> list[Error]:
    """Each of ``CONTACT_PHONE_REGIONS`` must be a region ``phonenumbers`` knows:
    a typo would refuse every number of that region without saying why."""
    import phonenumbers

    unknown = [
        code
        for code in settings.CONTACT_PHONE_REGIONS
        if code not in phonenumbers.SUPPORTED_REGIONS
    ]
    if not settings.CONTACT_PHONE_REGIONS or unknown:
        return [
            Error(
                f"CONTACT_PHONE_REGIONS has unknown or no regions: {unknown or '(empty)'}; "
                "use phonenumbers' ISO codes (FR, GP, RE...).",
                id="notifications.E002",
            )
        ]
    return []
