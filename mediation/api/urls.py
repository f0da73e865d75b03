from django.urls import path

from mediation.api import views

urlpatterns = [
    path("mediation/applicants/", views.PeopleView.as_view(), name="mediation-applicants"),
    path(
        "mediation/applicants/<str:applicant_id>/consents/",
        views.ConsentCreateView.as_view(),
        name="mediation-consents",
    ),
    path(
        "mediation/applicants/<str:applicant_id>/consents/<str:consent_id>/",
        views.ConsentWithdrawView.as_view(),
        name="mediation-consent",
    ),
]
