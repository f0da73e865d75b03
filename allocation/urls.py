"""The waiting list's pages: ``/waitlist/...`` (the applicant's, and the offer's
link) and ``/transparency/`` (public)."""

from django.urls import path

app_name = "allocation"

urlpatterns: list = []

# --- The applicant's pages and the offer's link (allocation/views/applicant.py)
urlpatterns += []

# --- The public transparency page (allocation/views/transparency.py)
from allocation.views.transparency import transparency_page  # noqa: E402

urlpatterns += [path("transparency/", transparency_page, name="transparency")]
