"""``/api/v1/``: the waiting list, the offers and the transparency figures."""

from django.urls import path

from allocation.api import views

urlpatterns: list = []

# --- The waiting list and the offers (allocation/api/views/)
urlpatterns += [
    path("waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path("waitlist/<int:pk>/", views.WaitlistEntryView.as_view(), name="waitlist-entry"),
    path("waitlist/<int:pk>/resume/", views.WaitlistResumeView.as_view(), name="waitlist-resume"),
    path("offers/", views.OfferListView.as_view(), name="offers"),
    path("offers/<int:pk>/", views.OfferDetailView.as_view(), name="offer"),
    path("offers/<int:pk>/accept/", views.OfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<int:pk>/decline/", views.OfferDeclineView.as_view(), name="offer-decline"),
]

# --- Transparency, public (allocation/api/transparency.py)
from allocation.api.transparency import TransparencyView  # noqa: E402

urlpatterns += [path("transparency/", TransparencyView.as_view(), name="transparency")]
