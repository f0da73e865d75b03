"""System checks of the notifications settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


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
