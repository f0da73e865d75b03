"""The prefecture agents' pages (``/agent/``)."""

from django.urls import path

from booking import agent_views

app_name = "agent"

urlpatterns = [
    path(
        "applicants/<int:pk>/identity/",
        agent_views.identity_correct,
        name="identity_correct",
    ),
]
