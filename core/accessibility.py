"""The figures of the accessibility statement, in one place.

The statement page (``/accessibilite/``, ``core.views.accessibility``) shows
them and ``docs/accessibility.md`` holds the criterion-by-criterion audit they
come from; ``tests/core/test_accessibility_statement.py`` counts the audit's
table and fails when these figures, or the list of non-compliant criteria, no
longer match it. Re-audit, update the table, then update ``AUDIT``.

The law (décret 2019-768, art. 47 of loi 2005-102) grades a service
"totalement conforme" when every applicable RGAA criterion is met,
"partiellement conforme" from 50 %, "non conforme" below or without an audit.
A self-audit is not an audit by an independent body: until one is made, the
statement says "partially compliant" at best, whatever the rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

RGAA_VERSION = "4.1"
CRITERIA = 106  # RGAA 4.1: 106 criteria in 13 themes


@dataclass(frozen=True)
class NonCompliance:
    criterion: str  # "8.7"
    what: Promise  # what fails, for the person reading the statement


@dataclass(frozen=True)
class Audit:
    made_on: date
    compliant: int
    non_compliant: int
    not_applicable: int
    external: bool  # made by an independent auditor (not a self-audit)
    failures: tuple[NonCompliance, ...]

    def __post_init__(self) -> None:
        if self.compliant + self.non_compliant + self.not_applicable != CRITERIA:
            raise ValueError(f"An RGAA {RGAA_VERSION} audit grades {CRITERIA} criteria.")
        if len(self.failures) != self.non_compliant:
            raise ValueError("Each non-compliant criterion is listed in failures.")

    @property
    def applicable(self) -> int:
        return self.compliant + self.non_compliant

    @property
    def rate(self) -> Decimal:
        """Compliant / applicable criteria, in percent, to one decimal (RGAA's method)."""
        return (Decimal(100 * self.compliant) / self.applicable).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def level(self) -> str:
        """``total``, ``partial`` or ``none``: total needs an external audit."""
        if self.rate < 50:
            return "none"
        if self.non_compliant == 0 and self.external:
            return "total"
        return "partial"


AUDIT = Audit(
    made_on=date(2026, 12, 4),
    compliant=64,
    non_compliant=1,
    not_applicable=41,
    external=False,
    failures=(
        NonCompliance(
            "8.10",
            _(
                "On the Arabic pages (right to left), the Latin words of the Arabic texts "
                "themselves (the service's name, acronyms, the names of some places and "
                "apps) are not marked as left-to-right."
            ),
        ),
    ),
)
STATEMENT_DATE = AUDIT.made_on

# Who publishes the statement and where people write to (besides the e-mail
# address of settings.ACCESSIBILITY_CONTACT_EMAIL, when set).
ENTITY = "Préfecture de la Seine-Saint-Denis"
POSTAL_ADDRESS = (
    "Préfecture de la Seine-Saint-Denis",
    "Service des étrangers — accessibilité",
    "1 esplanade Jean Moulin",
    "93007 Bobigny Cedex",
)
PREFECTURE_WEBSITE = "https://www.seine-saint-denis.gouv.fr"

# Recourse: the Défenseur des droits (loi 2005-102, art. 47; décret 2019-768, art. 6).
DEFENSEUR_FORM = "https://formulaire.defenseurdesdroits.fr/"
DEFENSEUR_PHONE = "09 69 39 00 00"
DEFENSEUR_DELEGATES = "https://www.defenseurdesdroits.fr/carte-des-delegues"
DEFENSEUR_ADDRESS = ("Défenseur des droits", "Libre réponse 71120", "75342 Paris CEDEX 07")
