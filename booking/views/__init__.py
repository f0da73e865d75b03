"""The applicant's pages: book, see, cancel and reschedule one's appointments.

Server-rendered, no JavaScript needed: plain links for every choice and a
POST form (with CSRF) for every change. Changes go through
``booking.services``; a refusal is a ``DomainError`` that ``core.views.
domain_errors`` turns into a message. Dates in the query string are read
leniently: a bad one shows the default week, never an error. One module per
part of the path; the views are re-exported here for ``booking.urls``.
"""

from booking.views.appointments import (
    appointment_cancel,
    appointment_detail,
    appointment_ics,
    appointment_reschedule,
    appointment_reschedule_confirm,
    my_appointments,
)
from booking.views.booking_path import confirm, days, procedures, sites, times
from booking.views.common import applicant_required
from booking.views.convocation import convocation, convocation_download
from booking.views.identity import identity

__all__ = [
    "applicant_required",
    "appointment_cancel",
    "appointment_detail",
    "appointment_ics",
    "appointment_reschedule",
    "appointment_reschedule_confirm",
    "confirm",
    "convocation",
    "convocation_download",
    "days",
    "identity",
    "my_appointments",
    "procedures",
    "sites",
    "times",
]
