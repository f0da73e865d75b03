from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    MEDIATOR = "mediator", _("Mediator")
    AGENT = "agent", _("Prefecture agent")
    SUPERVISOR = "supervisor", _("Supervisor")


STAFF_ROLES = frozenset({Role.MEDIATOR, Role.AGENT, Role.SUPERVISOR})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.SUPERVISOR)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Logs in by e-mail; its ``role`` decides what it may do.

    The person an appointment is for is an ``booking.Applicant``, not a User:
    a mediator books for walk-ins who have no account at all.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.APPLICANT)
    # Agents work for one or more sites; mediators belong to one access point.
    sites = models.ManyToManyField(
        "booking.Site", blank=True, related_name="agents", verbose_name=_("sites")
    )
    access_point = models.ForeignKey(
        "mediation.AccessPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediators",
        verbose_name=_("access point"),
    )
    language = models.CharField(_("language"), max_length=8, default="fr")
    # E.164; only counts as the account's number once ``phone_verified_at`` is set.
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, db_index=True)
    email_verified_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    phone_verified_at = models.DateTimeField(_("phone confirmed at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("admin site access"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Suspended by a supervisor from the abuse report (``backoffice.abuse``):
    # ``is_active`` is off meanwhile (no login, no session, no token); lifting
    # the suspension clears these and turns it back on.
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True, editable=False)
    suspended_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("suspended by"),
    )
    suspension_reason = models.TextField(_("reason for the suspension"), blank=True, editable=False)
    # Bumped to end every session of the account (services.sessions_and_tokens_end).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's HMAC of the password hash, which every session stores and
        which must still match at each request (a new password ends the other
        sessions). The session generation is mixed in once bumped, which ends
        them the same way; at 0 the hash is Django's, so the sessions open
        before it existed go on."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES


class ApiToken(models.Model):
    """An API token. Only a SHA-256 digest of the key is stored.

    The key is shown once, at creation; a leaked database gives no usable token.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=_("First characters, to recognise it."))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class PhoneNumber(models.Model):
    """A mobile number that has confirmed (or tried to confirm) an account.

    One row per number, never deleted: confirmations of the same number lock
    it (``SELECT ... FOR UPDATE``) to count the accounts it already confirmed,
    so two confirmations at once cannot both pass the ``ACCOUNTS_PER_PHONE`` cap.
    """

    phone = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.phone


class PhoneVerification(models.Model):
    """A 6-digit code sent by SMS to confirm ``phone`` for ``user``.

    Only a keyed hash (HMAC with the SECRET_KEY) of the code is stored. The
    code expires, allows a few attempts and is used once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_verifications")
    phone = models.CharField(_("mobile phone"), max_length=20)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} ({self.user_id})"


class IdentityClaimAttempt(models.Model):
    """An account tried to record an identity that another record already holds.

    Kept for the abuse report: many attempts from one account or one IP on
    other people's documents is what a broker farming identities looks like.
    """

    account = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="identity_claim_attempts"
    )
    identity_key = models.CharField(max_length=64, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refused identity claim")
        verbose_name_plural = _("refused identity claims")

    def __str__(self) -> str:
        return f"{self.identity_key} by {self.account_id} at {self.created_at:%Y-%m-%d %H:%M}"
