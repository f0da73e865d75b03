"""The waiting list's pages: ``/waitlist/...`` (the applicant's, and the offer's
link) and ``/transparency/`` (public)."""

from django.urls import path  # noqa: F401

app_name = "allocation"

urlpatterns: list = []

# --- The applicant's pages and the offer's link (allocation/views/applicant.py)
urlpatterns += []

# --- The public transparency page (allocation/views/transparency.py)
urlpatterns += []
