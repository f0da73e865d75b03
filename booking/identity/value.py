"""``Identity``: the six fields that say who a person is, as one value.

What the services take to record, check or correct an identity, what the
forms give and what the audit rows store. It reads and writes an
``Applicant`` by its attributes only: ``booking.models`` imports this package
while it loads, so nothing here imports the models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

IDENTITY_FIELDS = (
    "surname",
    "given_names",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
)


@dataclass(frozen=True, kw_only=True)
class Identity:
    """A person's identity as typed or as stored: not checked, not normalised.

    ``booking.services.identity_validate`` checks it; ``assign`` stores it on
    an applicant the way every service does (names stripped, derived fields
    computed, so the document number is normalised there).
    """

    surname: str
    given_names: str
    birth_date: date
    nationality: str
    document_type: str
    document_number: str

    @classmethod
    def of(cls, applicant: Any) -> Identity:
        """The identity stored on ``applicant`` (a row, or one set by ``assign``)."""
        return cls(
            surname=applicant.surname,
            given_names=applicant.given_names,
            birth_date=applicant.birth_date,
            nationality=str(applicant.nationality),
            document_type=applicant.document_type,
            document_number=applicant.document_number,
        )

    @classmethod
    def from_form(cls, cleaned_data: Mapping[str, Any]) -> Identity:
        """The identity of a form's ``cleaned_data`` (which may hold other fields)."""
        return cls(
            surname=cleaned_data["surname"],
            given_names=cleaned_data["given_names"],
            birth_date=cleaned_data["birth_date"],
            nationality=str(cleaned_data["nationality"]),
            document_type=cleaned_data["document_type"],
            document_number=cleaned_data["document_number"],
        )

    def as_dict(self) -> dict[str, Any]:
        """The six fields by name: a form's ``initial``, a model's keyword arguments."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def as_json(self) -> dict[str, str]:
        """The six fields, JSON-ready (what the audit rows store)."""
        return {
            "surname": self.surname,
            "given_names": self.given_names,
            "birth_date": self.birth_date.isoformat(),
            "nationality": str(self.nationality),
            "document_type": self.document_type,
            "document_number": self.document_number,
        }

    def changes_from(self, before: Identity) -> dict[str, dict]:
        """``{"before": {...}, "after": {...}}`` of the fields that differ from
        ``before`` (compared JSON-ready); ``{}`` if none."""
        old, new = before.as_json(), self.as_json()
        changed = [name for name in IDENTITY_FIELDS if old[name] != new[name]]
        if not changed:
            return {}
        return {
            "before": {name: old[name] for name in changed},
            "after": {name: new[name] for name in changed},
        }

    def assign(self, applicant: Any) -> None:
        """Set this identity on ``applicant``, unsaved: the names stripped, then
        its derived fields (normalised number and names, identity key) computed."""
        applicant.surname = self.surname.strip()
        applicant.given_names = self.given_names.strip()
        applicant.birth_date = self.birth_date
        applicant.nationality = self.nationality
        applicant.document_type = self.document_type
        applicant.document_number = self.document_number
        applicant.derive_identity_fields()
