"""Every change of booking or capacity state goes through these functions,
one module per part of the domain; the public names are re-exported here so
that ``from booking.services import appointment_book`` keeps working.

The invariants the database holds and the lock order are stated once, in
``booking.services.appointments`` (and docs/concurrency.md); booking itself is
``booking.services.bookings``.
"""

from booking.services.allocation_modes import allocation_mode_set
from booking.services.appointments import appointment_cancel, appointment_reschedule
from booking.services.bookings import appointment_book, appointment_book_held, slot_for_booking
from booking.services.capacity import (
    CountersMoved,
    PublicationPreview,
    publication_preview,
    slot_capacity_change,
    slot_counters_move,
)
from booking.services.closures import (
    MAX_CLOSURE_DAYS,
    ClosurePreview,
    closure_create,
    closure_lift,
    closure_preview,
)
from booking.services.corrections import (
    applicant_contact_follow,
    applicant_identity_correct,
    applicant_language_set,
    identity_claim_attempt_record,
    identity_correct,
    identity_is_locked,
)
from booking.services.counter import (
    appointment_check_in,
    appointment_check_in_override,
    appointment_done,
    day_no_shows_mark,
    no_show_blocks_write,
)
from booking.services.identities import (
    AccountIdentity,
    applicant_claim,
    applicant_create,
    applicants_create_bulk,
    identity_validate,
)
from booking.services.injunctions import injunction_convoke, injunction_record
from booking.services.publications import (
    MAX_PUBLICATION_DAYS,
    OpeningRange,
    PublicationParameters,
    PublicationPlan,
    PublicationResult,
    publication_parameters,
    publication_plan,
    slots_publish,
)
from booking.services.retention import (
    ERASE_BATCH,
    appointment_identities_erase,
    appointments_close_past,
)
from booking.services.seats import (
    seat_give_back,
    seats_hold,
    seats_release_due,
    seats_unhold,
)

__all__ = [
    "ERASE_BATCH",
    "MAX_CLOSURE_DAYS",
    "MAX_PUBLICATION_DAYS",
    "AccountIdentity",
    "ClosurePreview",
    "CountersMoved",
    "OpeningRange",
    "PublicationParameters",
    "PublicationPlan",
    "PublicationPreview",
    "PublicationResult",
    "allocation_mode_set",
    "applicant_claim",
    "applicant_contact_follow",
    "applicant_create",
    "applicant_identity_correct",
    "applicant_language_set",
    "applicants_create_bulk",
    "appointment_book",
    "appointment_book_held",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_check_in_override",
    "appointment_done",
    "appointment_identities_erase",
    "appointment_reschedule",
    "appointments_close_past",
    "closure_create",
    "closure_lift",
    "closure_preview",
    "day_no_shows_mark",
    "identity_claim_attempt_record",
    "identity_correct",
    "identity_is_locked",
    "identity_validate",
    "injunction_convoke",
    "injunction_record",
    "no_show_blocks_write",
    "publication_parameters",
    "publication_plan",
    "publication_preview",
    "seat_give_back",
    "seats_hold",
    "seats_release_due",
    "seats_unhold",
    "slot_capacity_change",
    "slot_counters_move",
    "slot_for_booking",
    "slots_publish",
]
