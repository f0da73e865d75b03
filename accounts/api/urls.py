from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenCreateView.as_view(), name="auth-token"),
    path("auth/tokens/", views.TokenListView.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:token_id>/", views.TokenRevokeView.as_view(), name="auth-token-revoke"),
]
