"""The back office's own rows: the dashboard's past weeks (``backoffice.dashboard.store``)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from booking.models import Procedure, Site


class DashboardWeek(models.Model):
    """A past week's figures of one site and procedure, as the dashboard computes
    them from the raw rows (``backoffice.dashboard.sources.week_detail``): the
    counts that add up, and each wait measured (days, sorted) so that a median
    over any weeks and any grouping is exact. Written only by
    ``backoffice.dashboard.store``; a week is read from here once it is in
    ``DashboardWeekComputed``."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # the Monday (local)
    capacity = models.PositiveIntegerField(default=0)
    booked = models.PositiveIntegerField(default=0)
    unused = models.PositiveIntegerField(default=0)
    closed_seats = models.PositiveIntegerField(default=0)
    past_appointments = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    cancelled_by_person = models.PositiveIntegerField(default=0)
    cancelled_by_staff = models.PositiveIntegerField(default=0)
    cancelled_by_closure = models.PositiveIntegerField(default=0)
    sms_sent = models.PositiveIntegerField(default=0)
    emails_sent = models.PositiveIntegerField(default=0)
    waits = ArrayField(models.FloatField(), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "procedure", "week"], name="dashboard_week_unique"
            )
        ]
        indexes = [models.Index(fields=["week"], name="dashboard_week_idx")]

    def __str__(self) -> str:
        return f"{self.site_id}/{self.procedure_id}/{self.week}"


class DashboardWeekComputed(models.Model):
    """A past week whose ``DashboardWeek`` rows are computed (for every site and
    procedure: a pair without a row had nothing that week)."""

    week = models.DateField(primary_key=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.week)
