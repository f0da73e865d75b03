"""The back office's periodic work (Celery beat, ``config.settings.CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

from celery import shared_task

from backoffice.dashboard import dashboard_weeks_due, dashboard_weeks_refresh


# A fresh install fills up to WEEKS_MAX weeks at once: longer than the default limit.
@shared_task(
    name="backoffice.dashboard_refresh", ignore_result=True, time_limit=900, soft_time_limit=840
)
def dashboard_refresh_task() -> int:
    """Hourly: recompute the dashboard's last weeks that are over, and any week
    over of the last ``WEEKS_MAX`` not computed yet (``backoffice.dashboard.store``)."""
    return dashboard_weeks_refresh(dashboard_weeks_due())
