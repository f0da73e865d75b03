"""``PAGES``: every area's visits, in the order of the areas. A URL name that two
areas both define is refused here, as the package loads: one would silently hide
the other's visits."""

from __future__ import annotations

from tests.helpers.accessibility.allocation import ALLOCATION_PAGES
from tests.helpers.accessibility.applicants import APPLICANT_PAGES
from tests.helpers.accessibility.backoffice import BACKOFFICE_PAGES
from tests.helpers.accessibility.mediation import MEDIATION_PAGES
from tests.helpers.accessibility.public import PUBLIC_PAGES
from tests.helpers.accessibility.visits import Visit


def _assembled(*areas: dict[str, list[Visit]]) -> dict[str, list[Visit]]:
    pages: dict[str, list[Visit]] = {}
    for area in areas:
        shared = sorted(pages.keys() & area.keys())
        if shared:
            raise ValueError(f"URL names with visits in two areas of PAGES: {shared}")
        pages.update(area)
    return pages


PAGES: dict[str, list[Visit]] = _assembled(
    PUBLIC_PAGES, BACKOFFICE_PAGES, MEDIATION_PAGES, APPLICANT_PAGES, ALLOCATION_PAGES
)
