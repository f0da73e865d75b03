"""The answer to a substitution request as a letter for the post (PDF), in the
person's language, built with ``core.pdf``: for someone who gave only a postal
address, or whom the messages did not reach."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import pdf
from substitution.messages import message_language
from substitution.models import SubstitutionRequest


def letter_pdf(request: SubstitutionRequest) -> bytes:
    """The letter answering ``request`` (answered), as PDF bytes."""
    language = message_language(request.language)
    with translation.override(language):
        doc = pdf.Document(language=language, title=_("Answer to your request for an appointment"))
        if request.postal_address:
            doc.paragraph(f"{request.surname.upper()} {request.given_names}")
            doc.paragraph(request.postal_address)
            doc.rule()
        doc.heading(_("Answer to your request for an appointment"))
        doc.paragraph(_("Tracking number"))
        doc.code(request.tracking)
        doc.key_values(
            [
                (_("Received on"), _date(request.created_at)),
                (_("Procedure"), request.procedure.name),
                (_("Answered on"), _date(request.answered_at) if request.answered_at else "-"),
            ]
        )
        appointment = request.appointment
        if appointment is not None:
            slot = appointment.slot
            starts_at = timezone.localtime(slot.starts_at)
            doc.paragraph(_("An appointment has been given to you:"))
            doc.key_values(
                [
                    (_("Reference"), appointment.reference),
                    (_("When"), f"{_date(starts_at)} {starts_at:%H:%M}"),
                    (_("Where"), f"{slot.site.name}, {slot.site.full_address}"),
                ]
            )
            if request.procedure.document_list:
                doc.paragraph(_("Documents to bring:"))
                doc.bullets(request.procedure.document_list)
            doc.paragraph(_("Bring your identity document and the documents of the procedure."))
            doc.qr(appointment.reference, size_mm=30, alt_text=appointment.reference)
        elif request.outcome:
            doc.paragraph(f"{request.get_outcome_display()}: {request.answer}")
        else:
            doc.paragraph(_("Your request is being processed."))
        doc.rule()
        doc.paragraph(_("Booking is free. Never pay anyone for an appointment."))
        return doc.output()


def _date(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y")
