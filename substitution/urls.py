"""The substitution route's public pages (``/substitution/``, ``substitution:``)
and the agents' (``/agent/substitution/``, ``substitution_agent:``)."""

from django.urls import path

from substitution import views

public_urls = (
    [
        path("", views.request_form, name="request"),
        path("received/", views.received, name="received"),
        path("status/", views.status, name="status"),
    ],
    "substitution",
)

agent_urls = (
    [
        path("", views.queue, name="queue"),
        path("<int:pk>/", views.detail, name="detail"),
        path("<int:pk>/take/", views.take, name="take"),
        path("<int:pk>/book/", views.book, name="book"),
        path("<int:pk>/answer/", views.answer, name="answer"),
        path("<int:pk>/letter.pdf", views.letter, name="letter"),
    ],
    "substitution_agent",
)
