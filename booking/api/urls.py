from django.urls import path

from booking.api import views
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
    path("identity/claim/", IdentityClaimView.as_view(), name="identity-claim"),
]
