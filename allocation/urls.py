"""The waiting list's pages: ``/waitlist/...`` (the applicant's, and the offer's
link) and ``/transparency/`` (public)."""

from django.urls import path

app_name = "allocation"

urlpatterns: list = []

# --- The applicant's pages and the offer's link (allocation/views/applicant.py)
from allocation.views import applicant  # noqa: E402

urlpatterns += [
    path("waitlist/", applicant.mine, name="mine"),
    path("waitlist/join/<slug:procedure>/", applicant.join, name="join"),
    path("waitlist/<int:pk>/leave/", applicant.leave, name="leave"),
    path("waitlist/<int:pk>/resume/", applicant.resume, name="resume"),
    path("waitlist/<int:pk>/change/", applicant.change, name="change"),
    path("waitlist/offers/<int:pk>/", applicant.offer, name="offer"),
    # The link of an offer's messages: no login, the token is the authority.
    path("waitlist/offer/<str:token>/", applicant.offer_link, name="offer_link"),
]

# --- The public transparency page (allocation/views/transparency.py)
from allocation.views.transparency import transparency_page  # noqa: E402

urlpatterns += [path("transparency/", transparency_page, name="transparency")]
