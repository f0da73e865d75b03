"""Booking's models, one module per part of the domain; import them from here."""

from booking.models.appointments import (
    ACTIVE_STATUSES,
    ERASED_BIRTH_DATE,
    ERASED_KEY_PREFIX,
    ERASED_TEXT,
    IDENTITY_SNAPSHOT_FIELDS,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Appointment,
    AppointmentStatus,
    Channel,
    new_reference,
    reference_parse,
)
from booking.models.blocks import BlockReason, BookingBlock
from booking.models.capacity import (
    AllocationMode,
    AllocationPolicy,
    Pool,
    Publication,
    SeatRelease,
    Slot,
)
from booking.models.closures import Closure, ClosureKind, PriorityRight, PriorityRightSource
from booking.models.identities import Applicant
from booking.models.injunctions import Injunction, InjunctionState
from booking.models.places import DocumentType, Horizon, Procedure, RequiredDocument, Site

__all__ = [
    "ACTIVE_STATUSES",
    "ERASED_BIRTH_DATE",
    "ERASED_KEY_PREFIX",
    "ERASED_TEXT",
    "IDENTITY_SNAPSHOT_FIELDS",
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "AllocationMode",
    "AllocationPolicy",
    "Applicant",
    "Appointment",
    "AppointmentStatus",
    "BlockReason",
    "BookingBlock",
    "Channel",
    "Closure",
    "ClosureKind",
    "DocumentType",
    "Horizon",
    "Injunction",
    "InjunctionState",
    "Pool",
    "PriorityRight",
    "PriorityRightSource",
    "Procedure",
    "Publication",
    "RequiredDocument",
    "SeatRelease",
    "Site",
    "Slot",
    "new_reference",
    "reference_parse",
]
