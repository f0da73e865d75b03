"""Typed refusals of the mediation services (``core.errors`` translates them)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class AccessPointNotAllowed(Forbidden):
    """A change of an access point the actor may not make (another point, a
    new one, its slug or whether it is active). Forbidden's message."""

    code = "access_point_not_allowed"


class ConsentRequired(Forbidden):
    """A mediator acts for a person without the person's valid consent, given
    to the mediator's access point, for what the action is (booking...)."""

    code = "consent_required"
    default_message = _(
        "Record the person's consent before acting for them: there is no valid "
        "consent for this at your access point."
    )


class DailyCapReached(Conflict):
    """The day's bookings of the mediator or of the access point reached their cap."""

    code = "daily_cap_reached"
    default_message = _(
        "The daily number of bookings of this access point or of this mediator has been "
        "reached. A supervisor may raise it for today."
    )


class MediatorOnly(Forbidden):
    """Only a mediator attached to an access point may do this."""

    code = "mediator_only"
    default_message = _("Only a mediator of an access point may do this.")


class InvalidConsent(InvalidInput):
    code = "invalid_consent"
    default_message = _("The consent is not valid.")


class ConsentNotActive(Conflict):
    code = "consent_not_active"
    default_message = _("This consent has already been withdrawn.")


class CapRaiseNotAllowed(Forbidden):
    code = "cap_raise_not_allowed"
    default_message = _("Only a supervisor may raise a daily cap.")


class InvalidCapRaise(InvalidInput):
    code = "invalid_cap_raise"
    default_message = _("The raise is not valid.")


class ConsentNotFound(NotFound):
    code = "consent_not_found"
    default_message = _("This consent does not exist.")


class InvalidOpeningPeriods(InvalidInput):
    """Opening periods that cannot be recorded: a day that is not one, a period
    that closes before it opens, two periods of a day that overlap, too many a day."""

    code = "invalid_opening_periods"
    default_message = _("The opening hours are not valid.")
