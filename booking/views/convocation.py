"""The convocation of an appointment: a page to print, and the same as a PDF.

For whoever may see the appointment (``booking.selectors.appointments_for``: the
person, the mediators of their access point, the agents of its site,
supervisors); anyone else gets the 404 of a reference that does not exist.
Counted in the ``convocation`` rate limit (a PDF costs a quarter of a second of
CPU); staff printing for someone is audited (``booking.convocation``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from booking.convocation import (
    convocation_issued,
    convocation_of,
    convocation_pdf,
    convocation_qr_svg,
)
from booking.models import Appointment, reference_parse
from booking.selectors import appointments_for
from core.ratelimit import ratelimited


def visible_appointment(user, reference: str) -> Appointment:
    """The appointment if ``user`` may see it, with what a convocation shows; else 404."""
    parsed = reference_parse(reference)
    appointment = (
        appointments_for(user).select_related("applicant").filter(reference=parsed).first()
        if parsed is not None
        else None
    )
    if appointment is None:
        raise Http404
    return appointment


def pdf_response(pdf: bytes, reference: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="convocation-{reference}.pdf"'
    # A person's identity: not kept by shared caches, nor by the browser once closed.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@ratelimited("convocation", methods=("GET",))
def convocation(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = visible_appointment(request.user, reference)
    document = convocation_of(appointment)
    convocation_issued(actor=request.user, appointment=appointment, form="page")
    label = _("QR code of the reference %(reference)s") % {"reference": appointment.reference}
    svg = convocation_qr_svg(appointment.reference).replace(
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1
    )
    response = render(
        request,
        "booking/convocation.html",
        {
            "convocation": document,
            "appointment": appointment,
            "qr_svg": mark_safe(svg),  # noqa: S308 - segno's markup, our escaped label
            "own": request.user.role == Role.APPLICANT,
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@ratelimited("convocation", methods=("GET",))
def convocation_download(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = visible_appointment(request.user, reference)
    pdf = convocation_pdf(convocation_of(appointment))
    convocation_issued(actor=request.user, appointment=appointment, form="pdf")
    return pdf_response(pdf, appointment.reference)
