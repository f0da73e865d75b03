"""Account events that every path must honour, whatever view or command
caused them: connected in ``AccountsConfig.ready``."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from accounts.language import language_at_login
from accounts.models import User
from accounts.otp import OTP_REQUIRED_SESSION_KEY, has_confirmed_device, is_staff_account
from accounts.services import password_changed_record


@receiver(user_logged_in, dispatch_uid="accounts.otp_required_at_login")
def otp_required_at_login(sender, request, user, **kwargs) -> None:
    """Remember in the session that this applicant turned the second factor
    on (staff always need it: no query for them), so that the OTP middleware
    holds the session until it is passed."""
    if request is None or not hasattr(request, "session"):
        return
    if not is_staff_account(user) and has_confirmed_device(user):
        request.session[OTP_REQUIRED_SESSION_KEY] = True


@receiver(user_logged_in, dispatch_uid="accounts.language_at_login")
def account_language_at_login(sender, request, user, **kwargs) -> None:
    """The account's language wins at login (``accounts.language``)."""
    language_at_login(request=request, user=user)


@receiver(post_init, sender=User, dispatch_uid="accounts.password_loaded")
def password_loaded(sender, instance: User, **kwargs) -> None:
    # The stored hash as loaded: a first password (an account made without
    # one, as the test factories do) is not a change of password.
    instance._password_loaded = instance.password


@receiver(post_save, sender=User, dispatch_uid="accounts.password_changed")
def password_changed(sender, instance: User, created: bool, **kwargs) -> None:
    """A new password revokes the account's API tokens, whichever path set it
    (change page, reset link, admin, ``changepassword``), and is audited.

    ``set_password`` leaves the raw password in ``_password`` until the save
    that stores it has run (``AbstractBaseUser.save`` clears it after
    ``post_save``); a hash upgrade at login clears it before saving, so it is
    not taken for a change.
    """
    had_password = bool(getattr(instance, "_password_loaded", ""))
    instance._password_loaded = instance.password
    if created or not had_password or getattr(instance, "_password", None) is None:
        return
    password_changed_record(user=instance)
