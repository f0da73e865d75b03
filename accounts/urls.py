from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import otp_views, token_views, views
from accounts.forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("verify/", views.verify, name="verify"),
    path("verify/email/resend/", views.email_resend, name="email_resend"),
    path("verify/email/<str:token>/", views.email_confirm, name="email_confirm"),
    path("verify/phone/", views.phone_confirm, name="phone_confirm"),
    path("verify/phone/resend/", views.phone_code_resend, name="phone_code_resend"),
    path("me/", views.me, name="me"),
    path("me/email/", views.email_change, name="email_change"),
    path("me/phone/", views.phone_change, name="phone_change"),
    path("me/language/", views.language, name="language"),
    path("lockouts/", views.lockouts, name="lockouts"),
    # Password reset by e-mail: Django's views and tokens, DSFR templates.
    path(
        "password/reset/",
        # Django's view and form; the e-mail goes through the outbox (views.PasswordResetView).
        views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        # Django's view; a completed reset also lifts the account's login lock-out.
        views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    # Password change (a new password revokes the account's API tokens: accounts.signals).
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # Two-factor authentication (mandatory for staff: accounts.middleware).
    path("otp/setup/", otp_views.otp_setup, name="otp_setup"),
    path("otp/verify/", otp_views.otp_verify, name="otp_verify"),
    path("otp/backup-codes/", otp_views.otp_backup_codes, name="otp_backup_codes"),
    path("otp/disable/", otp_views.otp_disable, name="otp_disable"),
    path("me/tokens/", token_views.tokens, name="tokens"),
    path("me/tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token_revoke"),
]
