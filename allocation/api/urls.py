"""``/api/v1/``: the waiting list, the offers and the transparency figures."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

# --- The waiting list and the offers (allocation/api/views.py)
urlpatterns += []

# --- Transparency, public (allocation/api/transparency.py)
urlpatterns += []
