"""A person's identity, separate from any account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from booking.identity import identity_key, normalize_document_number, normalize_name
from booking.models.places import DocumentType


class Applicant(models.Model):
    """A person's identity, separate from any account.

    A mediator registers walk-ins who have no account (``user`` is empty).
    The normalised fields and ``identity_key`` are derived on every save.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applicant",
        verbose_name=_("account"),
    )
    # The access point whose mediator registered this walk-in: its mediators may
    # act for the person (accounts.permissions). Empty for self-registration.
    access_point = models.ForeignKey(
        "mediation.AccessPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applicants",
        verbose_name=_("registered at access point"),
    )
    surname = models.CharField(_("surname"), max_length=150)
    given_names = models.CharField(_("first names"), max_length=150)
    birth_date = models.DateField(_("date of birth"))
    nationality = CountryField(_("nationality"))
    document_type = models.CharField(_("identity document"), max_length=8, choices=DocumentType)
    document_number = models.CharField(_("document number"), max_length=20)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="fr")
    surname_normalized = models.CharField(max_length=150, editable=False)
    given_names_normalized = models.CharField(max_length=150, editable=False)
    identity_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        indexes = [models.Index(fields=["surname_normalized", "birth_date"])]

    def __str__(self) -> str:
        return f"{self.surname.upper()} {self.given_names}"

    def save(self, *args, **kwargs) -> None:
        self.derive_identity_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {
                "document_number",
                "surname_normalized",
                "given_names_normalized",
                "identity_key",
            }
            kwargs["update_fields"] = set(update_fields) | derived
        super().save(*args, **kwargs)

    def derive_identity_fields(self) -> None:
        """Compute the normalised fields and the identity key (also for bulk inserts)."""
        self.document_number = normalize_document_number(self.document_number)
        self.surname_normalized = normalize_name(self.surname)
        self.given_names_normalized = normalize_name(self.given_names)
        self.identity_key = identity_key(
            document_type=self.document_type,
            document_number=self.document_number,
            nationality=str(self.nationality),
        )
