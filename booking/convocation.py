"""What a convocation says for an appointment, on a page or in a PDF.

A convocation is what a person brings to the counter, printed by themselves or
by a mediator for them: the reference (large, and in a QR code), the procedure,
the place (its address and how to get there), the date and time (local time of
the sites, ``settings.TIME_ZONE``), the documents to bring, the identity the
appointment is bound to (the document shown at the counter must be that one),
and the warning that booking is free and that nobody may sell an appointment.

It is written in French, and again in the person's language
(``Applicant.preferred_language``) when that is another language of the site:
each part's texts are translated with ``translation.override`` (most reuse the
messages of the appointment page and its footer). The page
(``booking.views.convocation``) and the PDF (``convocation_pdf``, through
``core.pdf``) render the same ``Convocation``.

Printing is audited when staff do it for someone (``convocation_issued``): a
mediator's row says for which access point; the person's own copy is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from audit.models import AuditAction
from audit.services import audit_record
from booking.models import Appointment, AppointmentStatus, DocumentType
from core.pdf import Document

FRENCH = "fr"


@dataclass(frozen=True)
class ConvocationPart:
    """The convocation in one language."""

    language: str
    bidi: bool
    title: str
    status_note: str  # empty while the appointment stands
    reference_label: str
    counter_note: str
    details: list[tuple[str, str]]  # (label, value): procedure, when, where...
    documents_label: str
    documents: list[str]
    free_title: str
    free_text: str
    # The values and documents the prefecture wrote in French (marked as such in
    # a part in another language: RGAA 8.7, 8.10).
    french: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Convocation:
    appointment: Appointment
    reference: str
    parts: list[ConvocationPart]

    @property
    def title(self) -> str:
        return self.parts[0].title


def convocation_languages(appointment: Appointment) -> list[str]:
    """French, then the person's language when it is another language of the site."""
    preferred = (appointment.applicant.preferred_language or FRENCH).lower()
    offered = {code for code, _name in settings.LANGUAGES}
    return [FRENCH] if preferred == FRENCH or preferred not in offered else [FRENCH, preferred]


def _identity_document(appointment: Appointment) -> str:
    number = appointment.document_number
    if appointment.document_type == DocumentType.PASSPORT:
        return _("Your passport (no. %(number)s), the original.") % {"number": number}
    return _(
        "The original of your residence permit or receipt showing your foreigner "
        "number (AGDREF) %(number)s."
    ) % {"number": number}


def _part(appointment: Appointment, language: str) -> ConvocationPart:
    slot = appointment.slot
    site = slot.site
    starts = timezone.localtime(slot.starts_at)
    ends = timezone.localtime(slot.ends_at)
    with translation.override(language):
        when = "{day}\n{start} \u2013 {end}".format(
            day=formats.date_format(starts, "l j F Y"),
            start=formats.time_format(starts, "H:i"),
            end=formats.time_format(ends, "H:i"),
        )
        place = "\n".join([site.name, site.address, f"{site.postcode} {site.city}"])
        details = [
            (_("Procedure"), appointment.procedure.name),
            (_("Date and time"), when),
            (_("Place"), place),
        ]
        if site.access_info.strip():
            details.append((_("How to get there"), site.access_info.strip()))
        details.append(
            (
                _("In the name of"),
                f"{appointment.surname.upper()} {appointment.given_names}\n"
                f"{appointment.get_document_type_display()} {appointment.document_number}",
            )
        )
        # A cancelled (or past) appointment says so first: the paper is no longer good.
        status_note = (
            ""
            if appointment.status == AppointmentStatus.BOOKED
            else appointment.get_status_display()
        )
        return ConvocationPart(
            language=language,
            bidi=translation.get_language_bidi(),
            title=_("Your appointment"),
            status_note=status_note,
            reference_label=_("Reference"),
            counter_note=_(
                "Show this reference at the counter with the identity document given at booking."
            ),
            details=details,
            documents_label=_("Documents to bring"),
            documents=[_identity_document(appointment), *appointment.procedure.document_list],
            free_title=_("Booking an appointment is free."),
            free_text=_(
                "Never pay anyone for an appointment. An appointment is personal: it is "
                "booked in your name and your identity document is checked at the counter. "
                "If someone offers to sell you one, it is a scam."
            ),
            french=frozenset(
                {
                    appointment.procedure.name,
                    place,
                    site.access_info.strip(),
                    *appointment.procedure.document_list,
                }
            ),
        )


def convocation_of(appointment: Appointment) -> Convocation:
    """The convocation of ``appointment`` (its slot, site, procedure and applicant loaded)."""
    return Convocation(
        appointment=appointment,
        reference=appointment.reference,
        parts=[_part(appointment, language) for language in convocation_languages(appointment)],
    )


def convocation_qr_svg(reference: str) -> str:
    """The QR code holding ``reference``, as an inline ``<svg>`` sized by CSS (a viewBox)."""
    return segno.make(reference, error="m", micro=False).svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True
    )


def convocation_pdf(convocation: Convocation) -> bytes:
    """The convocation as a PDF: one page per language, French first."""
    first = convocation.parts[0]
    document = Document(language=first.language, title=f"{first.title} {convocation.reference}")
    for index, part in enumerate(convocation.parts):
        if index:
            document.part(part.language, new_page=True)
        document.heading(part.title)
        if part.status_note:
            document.paragraph(part.status_note, bold=True, size=13)
        document.paragraph(part.reference_label, size=10).code(convocation.reference)
        document.qr(convocation.reference, size_mm=32)
        document.paragraph(part.counter_note, size=10)
        document.key_values(part.details)
        document.heading(part.documents_label, level=2).bullets(part.documents)
        document.rule()
        document.paragraph(part.free_title, bold=True).paragraph(part.free_text)
    return document.output()


def convocation_issued(*, actor, appointment: Appointment, form: str) -> None:
    """Record that staff printed ``appointment``'s convocation (``form``: "page",
    "pdf" or "api"), with the mediator's access point. The person's own copy is
    not recorded: it tells nobody anything they did not know."""
    if actor.role == Role.APPLICANT:
        return
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.CONVOCATION_PRINTED,
            appointment=appointment,
            details={"form": form, "access_point": actor.access_point_id},
        )
