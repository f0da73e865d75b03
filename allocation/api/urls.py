"""``/api/v1/``: the waiting list, the offers and the transparency figures."""

from django.urls import path

urlpatterns: list = []

# --- The waiting list and the offers (allocation/api/views.py)
urlpatterns += []

# --- Transparency, public (allocation/api/transparency.py)
from allocation.api.transparency import TransparencyView  # noqa: E402

urlpatterns += [path("transparency/", TransparencyView.as_view(), name="transparency")]
