"""Court-ordered convocations: an administrative court orders the prefecture to
give a person an appointment within a deadline (référé « mesures utiles »,
Conseil d'État, 10 June 2020, n° 435594).

An ``Injunction`` is recorded by an agent of the site where it will be served,
then served by an appointment booked for the person before the deadline
(``booking.services.injunction_convoke``). Its state is computed when read
(``booking.injunctions``): served in time or late, or, while not served, open,
at risk (the deadline is near) or overdue. When the appointment that served it
is cancelled, the injunction is open again: the link is cleared in the
cancellation's transaction (``booking.services.injunctions``, a receiver of
``booking.signals.appointment_changed``), the audit trail keeps the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models.appointments import Appointment
from booking.models.identities import Applicant
from booking.models.places import Procedure, Site

COURT_MAX = 200
CASE_NUMBER_MAX = 40
NOTES_MAX = 2000


class InjunctionState(models.TextChoices):
    """What an injunction's state is, computed from its dates and its appointment."""

    OVERDUE = "overdue", _("Overdue")
    AT_RISK = "at_risk", _("At risk")
    OPEN = "open", _("To convoke")
    LATE = "late", _("Convoked late")
    IN_TIME = "in_time", _("Convoked in time")


class Injunction(models.Model):
    court = models.CharField(_("court"), max_length=COURT_MAX)
    case_number = models.CharField(_("case number"), max_length=CASE_NUMBER_MAX)
    ordered_on = models.DateField(_("date of the order"))
    # The last day (local) on which the appointment may take place.
    deadline = models.DateField(_("deadline to convoke"))
    applicant = models.ForeignKey(
        Applicant,
        on_delete=models.PROTECT,
        related_name="injunctions",
        verbose_name=_("person"),
    )
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.PROTECT,
        related_name="injunctions",
        verbose_name=_("procedure"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="injunctions",
        verbose_name=_("site"),
    )
    notes = models.TextField(_("notes"), max_length=NOTES_MAX, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The appointment that serves the order, and when it was booked; both empty
    # while the order is not served (and again once that appointment is cancelled).
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="injunctions",
        verbose_name=_("appointment"),
    )
    convoked_at = models.DateTimeField(_("convoked at"), null=True, blank=True)
    convoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("convoked by"),
    )

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("court-ordered convocation")
        verbose_name_plural = _("court-ordered convocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=F("ordered_on")),
                name="injunction_deadline_not_before_order",
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=True, convoked_at__isnull=True)
                | Q(appointment__isnull=False, convoked_at__isnull=False),
                name="injunction_convoked_has_appointment",
            ),
            # One open (not served) order per person, procedure and case.
            models.UniqueConstraint(
                fields=["applicant", "procedure", "case_number"],
                condition=Q(appointment__isnull=True),
                name="one_open_injunction_per_person_procedure_case",
            ),
        ]
        indexes = [
            # The lists and counts: what is not served yet, by deadline, per site.
            models.Index(
                fields=["site", "deadline"],
                condition=Q(appointment__isnull=True),
                name="injunction_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court} {self.case_number}"

    @property
    def is_served(self) -> bool:
        return self.appointment_id is not None
