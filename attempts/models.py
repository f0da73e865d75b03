"""What the record of attempts keeps: the searches that found nothing, and the
records issued."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FailedSearch(models.Model):
    """Searches of one person that found nothing, for one procedure and one
    site (empty: every site), within one hour (UTC), deduplicated.

    One row per person, procedure, site, hour and way (alone or with a
    mediator), counted by an upsert (``attempts.services.failed_search_record``):
    a person who searches all day leaves at most 24 rows a day and a way. A
    repeat of the same search within ``ATTEMPTS_SEARCH_GAP_SECONDS`` is the
    same attempt and is not counted again (nor written).
    """

    applicant = models.ForeignKey(
        "booking.Applicant",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("applicant"),
    )
    procedure = models.ForeignKey(
        "booking.Procedure", on_delete=models.CASCADE, related_name="+", verbose_name=_("procedure")
    )
    site = models.ForeignKey(
        "booking.Site",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("site"),
    )
    mediated = models.BooleanField(_("with a mediator"), default=False)
    hour = models.DateTimeField(_("hour"))
    searches = models.PositiveIntegerField(_("searches"), default=1)
    first_at = models.DateTimeField(_("first search"))
    last_at = models.DateTimeField(_("last search"))

    class Meta:
        verbose_name = _("search that found nothing")
        verbose_name_plural = _("searches that found nothing")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "procedure", "site", "hour", "mediated"],
                name="attempts_failedsearch_one_per_hour",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(searches__gte=1), name="attempts_failedsearch_counted"
            ),
        ]
        indexes = [models.Index(fields=["hour"], name="attempts_fs_hour")]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.procedure_id} {self.site_id} {self.hour:%Y-%m-%d %H}h"


class IssuedBy(models.TextChoices):
    PERSON = "person", _("The person")
    MEDIATOR = "mediator", _("A mediator")
    AGENT = "agent", _("An agent")
    SUPERVISOR = "supervisor", _("A supervisor")


class AttemptRecord(models.Model):
    """A record of attempts as it was issued.

    ``code_hash`` is the SHA-256 of the verification code (``attempts.codes``):
    the code itself is printed on the PDF and stored nowhere. ``content`` is
    what the record said (``attempts.selectors.record_content``), shown again
    by ``/verify/<code>/``.
    """

    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    applicant = models.ForeignKey(
        "booking.Applicant",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("applicant"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_as = models.CharField(_("issued as"), max_length=10, choices=IssuedBy)
    access_point = models.ForeignKey(
        "mediation.AccessPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("access point"),
    )
    period_start = models.DateTimeField(_("period from"))
    period_end = models.DateTimeField(_("period to"))
    content = models.JSONField(_("content"))

    class Meta:
        verbose_name = _("record of attempts")
        verbose_name_plural = _("records of attempts")
        indexes = [models.Index(fields=["issued_at"], name="attempts_record_issued")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="attempts_record_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.issued_at:%Y-%m-%d %H:%M}"
