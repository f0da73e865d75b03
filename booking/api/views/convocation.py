"""An appointment's convocation as a PDF (``booking.convocation``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from booking.api.views.common import visible_appointment
from booking.convocation import convocation_issued, convocation_of, convocation_pdf
from booking.views.convocation import pdf_response
from core.api import error_responses
from core.client import client_address
from core.ratelimit import hit


class PDFRenderer(BaseRenderer):
    """Lets a client that asks for ``application/pdf`` in ``Accept`` get this far."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ConvocationPDFView(APIView):
    renderer_classes = [JSONRenderer, PDFRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The PDF is written as it is (an HttpResponse); what goes through the
        # renderers is an error, always JSON, whatever the client accepts.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        operation_id="appointments_convocation",
        description="The appointment's convocation, to print: the reference and its QR "
        "code, the procedure, the place and how to get there, the date and time, the "
        "documents to bring, the identity it is bound to and the warning that booking is "
        "free; in French, then in the person's language when it is another one. For "
        "whoever may see the appointment (the same rules as `appointments_retrieve`); "
        "staff printing one for someone is recorded in the audit trail.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The convocation (PDF)."
            ),
            **error_responses(401, 404, 429, s404="`appointment_not_found`"),
        },
        tags=["booking"],
    )
    def get(self, request: Request, reference: str):
        hit("convocation", account=request.user.pk, ip=client_address(request))
        appointment = visible_appointment(request, reference)
        pdf = convocation_pdf(convocation_of(appointment))
        convocation_issued(actor=request.user, appointment=appointment, form="api")
        return pdf_response(pdf, appointment.reference)
