from django.urls import path

from booking import views
from booking.identity.claim import identity_claim

app_name = "booking"

urlpatterns = [
    # Booking path: procedure → site → week → day → time → confirm.
    path("book/", views.procedures, name="procedures"),
    path("book/<slug:procedure>/", views.sites, name="sites"),
    path("book/<slug:procedure>/<slug:site>/", views.days, name="days"),
    path("book/<slug:procedure>/<slug:site>/times/", views.times, name="times"),
    path("slots/<int:slot_id>/confirm/", views.confirm, name="confirm"),
    path("me/identity/", views.identity, name="identity"),
    path("me/identity/claim/", identity_claim, name="identity_claim"),
    # An applicant's appointments, by reference (never by database id).
    path("appointments/", views.my_appointments, name="my_appointments"),
    path("appointments/<str:reference>/", views.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<str:reference>/calendar.ics",
        views.appointment_ics,
        name="appointment_ics",
    ),
    # The convocation, for whoever may see the appointment (staff print it for someone).
    path(
        "appointments/<str:reference>/convocation/",
        views.convocation,
        name="convocation",
    ),
    path(
        "appointments/<str:reference>/convocation.pdf",
        views.convocation_download,
        name="convocation_pdf",
    ),
    path(
        "appointments/<str:reference>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<str:reference>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<str:reference>/reschedule/<int:slot_id>/",
        views.appointment_reschedule_confirm,
        name="appointment_reschedule_confirm",
    ),
]
