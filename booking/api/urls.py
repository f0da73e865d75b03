from django.urls import path

from booking.api import views
from booking.api.views import agent_capacity, agent_counter
from booking.api.views.agent_closures import ClosureLiftView, ClosureListView
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
    path("agent/day/", agent_counter.CounterDayView.as_view(), name="agent-day"),
    path("agent/checkins/", agent_counter.CheckInView.as_view(), name="agent-checkins"),
    path(
        "agent/appointments/<str:reference>/done/",
        agent_counter.DoneView.as_view(),
        name="agent-appointment-done",
    ),
    path("agent/no-shows/", agent_counter.NoShowsView.as_view(), name="agent-no-shows"),
    path("agent/injunctions/", views.InjunctionListView.as_view(), name="agent-injunctions"),
    path(
        "agent/injunctions/<int:injunction_id>/",
        views.InjunctionDetailView.as_view(),
        name="agent-injunction",
    ),
    path(
        "agent/injunctions/<int:injunction_id>/convocation/",
        views.InjunctionConvocationView.as_view(),
        name="agent-injunction-convocation",
    ),
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
    path("agent/closures/", ClosureListView.as_view(), name="agent-closures"),
    path("agent/closures/<int:id>/lift/", ClosureLiftView.as_view(), name="agent-closure-lift"),
]
