"""The API's content negotiation (``REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]``)."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, without parsing the common ``Accept`` headers.

    A client that accepts anything (no ``Accept``, ``*/*``) or asks for exactly
    what the first renderer gives (``application/json`` for the API) gets that
    renderer, as DRF would answer after parsing and ordering the header (a third
    of a refused booking's DRF work); any other header, and ``?format=``, go to
    DRF.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*") or "*/*"
        first = renderers[0] if renderers else None
        if (
            first is not None
            and not format_suffix
            and accept in ("*/*", first.media_type)
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
