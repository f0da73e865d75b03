"""The substitution route: a request for an appointment from someone who could
not get one online (Conseil d'État, 3 June 2022, n° 452798).

A ``SubstitutionRequest`` is filed without an account (``substitution.services.
substitution_request_create``), acknowledged at once with its tracking number,
and answered by an agent before ``due_at``: booked (on priority capacity, the
appointment kept here), refused or referred to another service, with a reason
the person reads. The identity is kept as typed (names stripped, the document
number normalised) with its ``identity_key``, the key booking compares
identities by: the request finds the identity on file when it is answered.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from booking.models import REFERENCE_ALPHABET, DocumentType

# "S" and nine characters of booking's alphabet (no 0/O, 1/I/L): read aloud, typed on
# a phone, and never taken for an appointment's reference (8 characters).
TRACKING_PREFIX = "S"
TRACKING_LENGTH = 10
_TRACKING = re.compile(f"^{TRACKING_PREFIX}[{REFERENCE_ALPHABET}]{{{TRACKING_LENGTH - 1}}}$")
_TRACKING_SQL = f"^{TRACKING_PREFIX}[{REFERENCE_ALPHABET}]{{{TRACKING_LENGTH - 1}}}$"


def new_tracking() -> str:
    return TRACKING_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(TRACKING_LENGTH - 1)
    )


def tracking_parse(value: str) -> str | None:
    """``value`` as a tracking number (upper case, without spaces or dashes), or
    ``None`` when it cannot be one (the caller answers as for one that does not exist)."""
    text = "".join(str(value).split()).replace("-", "").upper()
    return text if _TRACKING.match(text) else None


class Reason(models.TextChoices):
    TECHNICAL_FAILURE = "technical_failure", _("The website did not work for me")
    NOTHING_FREE = "nothing_free", _("No appointment was free for weeks")
    NO_MEANS = "no_means", _("I have no means to use the website")


class State(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")


class Outcome(models.TextChoices):
    BOOKED = "booked", _("Appointment given")
    REFUSED = "refused", _("Refused")
    REFERRED = "referred", _("Referred to another service")


OPEN_STATES = (State.NEW, State.IN_PROGRESS)


class SubstitutionRequest(models.Model):
    tracking = models.CharField(_("tracking number"), max_length=TRACKING_LENGTH, unique=True)
    # Who asks: the identity as typed, its document number normalised.
    surname = models.CharField(_("surname"), max_length=150)
    given_names = models.CharField(_("first names"), max_length=150)
    birth_date = models.DateField(_("date of birth"))
    nationality = CountryField(_("nationality"))
    document_type = models.CharField(_("identity document"), max_length=8, choices=DocumentType)
    document_number = models.CharField(_("document number"), max_length=20)
    identity_key = models.CharField(max_length=64, db_index=True, editable=False)
    # What for, where, and what happened.
    procedure = models.ForeignKey(
        "booking.Procedure",
        on_delete=models.PROTECT,
        related_name="substitution_requests",
        verbose_name=_("procedure"),
    )
    site = models.ForeignKey(
        "booking.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="substitution_requests",
        verbose_name=_("place wished"),
    )
    reason = models.CharField(_("what happened"), max_length=20, choices=Reason)
    account = models.TextField(_("in your own words"), max_length=2000, blank=True)
    # How to answer: at least one (the database says so).
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    postal_address = models.TextField(_("postal address"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    # The answer.
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.NEW)
    outcome = models.CharField(_("answer"), max_length=10, choices=Outcome, blank=True)
    answer = models.TextField(_("reason given"), max_length=2000, blank=True)
    applicant = models.ForeignKey(
        "booking.Applicant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="substitution_requests",
        verbose_name=_("applicant"),
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="substitution_requests",
        verbose_name=_("appointment"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )
    taken_at = models.DateTimeField(_("taken in hand at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    letter_printed_at = models.DateTimeField(_("letter printed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_at = models.DateTimeField(_("to answer by"))

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("substitution request")
        verbose_name_plural = _("substitution requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(tracking__regex=_TRACKING_SQL), name="substitution_tracking_format"
            ),
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email="") | ~Q(postal_address=""),
                name="substitution_has_a_way_to_answer",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("created_at")), name="substitution_due_after_received"
            ),
            # Answered exactly when there is an outcome, and when it was given.
            models.CheckConstraint(
                condition=(
                    Q(state="answered", answered_at__isnull=False) & ~Q(outcome="")
                    | ~Q(state="answered") & Q(outcome="", answered_at__isnull=True)
                ),
                name="substitution_answered_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="booked") | Q(appointment__isnull=False),
                name="substitution_booked_has_appointment",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["refused", "referred"]) | ~Q(answer=""),
                name="substitution_refusal_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=~Q(state="answered"), name="substitution_open_idx"
            ),
            models.Index(fields=["site", "state"], name="substitution_site_state_idx"),
        ]

    def __str__(self) -> str:
        return self.tracking

    @property
    def is_open(self) -> bool:
        return self.state != State.ANSWERED

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    @property
    def contacts(self) -> list[tuple[str, str]]:
        """``(channel, destination)`` of the messages the person is owed."""
        found = []
        if self.phone:
            found.append(("sms", self.phone))
        if self.email:
            found.append(("email", self.email))
        return found
