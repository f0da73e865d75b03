from django.urls import path

from mediation import views

app_name = "mediation"

person = "people/<int:pk>/"
appointment = f"{person}appointments/<str:reference>/"

urlpatterns = [
    # Public pages about getting help.
    path("points/", views.points, name="points"),
    path("substitution/", views.substitution, name="substitution"),
    # The mediators' console.
    path("", views.home, name="home"),
    path("find/", views.find, name="find"),
    path("register/", views.register, name="register"),
    path("caps/", views.cap_raise, name="cap_raise"),
    path("hours/", views.hours, name="hours"),
    path(person, views.person, name="person"),
    path(f"{person}consent/", views.consent_give, name="consent_give"),
    path(
        f"{person}consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path(f"{person}book/", views.book_procedures, name="book_procedures"),
    path(f"{person}book/<slug:procedure>/", views.book_sites, name="book_sites"),
    path(f"{person}book/<slug:procedure>/<slug:site>/", views.book_days, name="book_days"),
    path(f"{person}slots/<int:slot_id>/book/", views.book_confirm, name="book_confirm"),
    path(f"{appointment}cancel/", views.appointment_cancel, name="appointment_cancel"),
    path(
        f"{appointment}reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        f"{appointment}reschedule/<int:slot_id>/",
        views.appointment_reschedule_confirm,
        name="appointment_reschedule_confirm",
    ),
    # The person's waiting-list entries (allocation.views.on_behalf).
    path(f"{person}waitlist/join/", views.waitlist_join, name="waitlist_join"),
    path(
        f"{person}waitlist/<int:entry_id>/change/",
        views.waitlist_change,
        name="waitlist_change",
    ),
    path(
        f"{person}waitlist/<int:entry_id>/leave/",
        views.waitlist_leave,
        name="waitlist_leave",
    ),
    path(
        f"{person}waitlist/<int:entry_id>/resume/",
        views.waitlist_resume,
        name="waitlist_resume",
    ),
    path(
        f"{person}offers/<int:offer_id>/accept/",
        views.waitlist_offer_accept,
        name="waitlist_offer_accept",
    ),
    path(
        f"{person}offers/<int:offer_id>/decline/",
        views.waitlist_offer_decline,
        name="waitlist_offer_decline",
    ),
]
