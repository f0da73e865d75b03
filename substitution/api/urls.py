from django.urls import path

from substitution.api import views

urlpatterns = [
    path(
        "substitution-requests/",
        views.SubstitutionRequestCreateView.as_view(),
        name="substitution-requests",
    ),
    path(
        "substitution-requests/<str:tracking>/",
        views.SubstitutionRequestStatusView.as_view(),
        name="substitution-request-status",
    ),
]
