from django.urls import path

from booking.api import views
from booking.api.views import agent_capacity
from booking.api.views.claim import IdentityClaimView

urlpatterns = [
    path("sites/", views.SiteListView.as_view(), name="sites"),
    path("procedures/", views.ProcedureListView.as_view(), name="procedures"),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("appointments/", views.AppointmentListView.as_view(), name="appointments"),
    path(
        "appointments/<str:reference>/",
        views.AppointmentDetailView.as_view(),
        name="appointment-detail",
    ),
    path(
        "appointments/<str:reference>/convocation.pdf",
        views.ConvocationPDFView.as_view(),
        name="appointment-convocation",
    ),
    path(
        "appointments/<str:reference>/cancel/",
        views.AppointmentCancelView.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<str:reference>/reschedule/",
        views.AppointmentRescheduleView.as_view(),
        name="appointment-reschedule",
    ),
    path("agent/publications/", views.PublicationCreateView.as_view(), name="agent-publications"),
    path(
        "agent/publications/preview/",
        agent_capacity.PublicationPreviewView.as_view(),
        name="agent-publications-preview",
    ),
    path("agent/calendar/", agent_capacity.CalendarView.as_view(), name="agent-calendar"),
    path(
        "agent/slots/move/",
        agent_capacity.SlotCountersMoveView.as_view(),
        name="agent-slots-move",
    ),
    path("agent/slots/<int:pk>/", agent_capacity.SlotCapacityView.as_view(), name="agent-slot"),
    path("identity/claim/", IdentityClaimView.as_view(), name="identity-claim"),
]
