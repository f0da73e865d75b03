"""The booking API. Views check input, pick the person, call a service or a
selector, and render; domain errors are translated once in ``core.api``.
One module per resource; the views are re-exported here for ``booking.api.urls``."""

from booking.api.views.agent_injunctions import (
    InjunctionConvocationView,
    InjunctionDetailView,
    InjunctionListView,
)
from booking.api.views.appointments import (
    AppointmentCancelView,
    AppointmentDetailView,
    AppointmentListView,
    AppointmentRescheduleView,
)
from booking.api.views.availability import AvailabilityView, _availability_json, _local_iso
from booking.api.views.common import Publisher
from booking.api.views.convocation import ConvocationPDFView
from booking.api.views.publications import PublicationCreateView
from booking.api.views.reference import ProcedureListView, SiteListView

__all__ = [
    "AppointmentCancelView",
    "AppointmentDetailView",
    "AppointmentListView",
    "AppointmentRescheduleView",
    "AvailabilityView",
    "ConvocationPDFView",
    "InjunctionConvocationView",
    "InjunctionDetailView",
    "InjunctionListView",
    "ProcedureListView",
    "PublicationCreateView",
    "Publisher",
    "SiteListView",
    "_availability_json",
    "_local_iso",
]
