"""The accessibility statement tells the truth of its audit.

Its figures live in ``core/accessibility.py``; the audit they come from is the
criterion-by-criterion table of ``docs/accessibility.md``. These tests count
that table and hold the module, the page and the footer to it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from core import accessibility
from core.accessibility import AUDIT, CRITERIA, Audit, NonCompliance

DOCS = Path(__file__).resolve().parents[2] / "docs" / "accessibility.md"
ROW = re.compile(r"^\| (\d{1,2})\.(\d{1,2}) \| .+ \| \**(C|NC|NA)\** \| .+ \|$", re.MULTILINE)
# RGAA 4.1: criteria per theme (images, frames, colours, multimedia, tables, links,
# scripts, mandatory elements, structure, presentation, forms, navigation, consultation).
THEMES = {1: 9, 2: 2, 3: 3, 4: 13, 5: 8, 6: 2, 7: 5, 8: 10, 9: 4, 10: 14, 11: 13, 12: 11, 13: 12}


def _graded() -> dict[str, str]:
    rows = ROW.findall(DOCS.read_text())
    criteria = [f"{theme}.{number}" for theme, number, _ in rows]
    assert len(criteria) == len(set(criteria)), "a criterion is graded twice"
    return {f"{theme}.{number}": result for theme, number, result in rows}


def _english(client) -> None:
    client.cookies["django_language"] = "en"


def test_the_audit_grades_every_rgaa_criterion_once():
    graded = _graded()

    per_theme = Counter(int(criterion.split(".")[0]) for criterion in graded)
    assert dict(per_theme) == THEMES
    assert sum(THEMES.values()) == CRITERIA
    for criterion in graded:
        theme, number = map(int, criterion.split("."))
        assert 1 <= number <= THEMES[theme], criterion


def test_the_statements_figures_are_the_audits():
    graded = _graded()
    counts = Counter(graded.values())

    assert (AUDIT.compliant, AUDIT.non_compliant, AUDIT.not_applicable) == (
        counts["C"],
        counts["NC"],
        counts["NA"],
    )
    assert {failure.criterion for failure in AUDIT.failures} == {
        criterion for criterion, result in graded.items() if result == "NC"
    }
    summary = DOCS.read_text().split("## Method")[0]
    assert f"| Compliant (C) | {AUDIT.compliant} |" in summary
    assert f"| Non-compliant (NC) | {AUDIT.non_compliant} |" in summary
    assert f"| Not applicable (NA) | {AUDIT.not_applicable} |" in summary
    assert f"{AUDIT.compliant} / {AUDIT.applicable} applicable criteria = {AUDIT.rate} %" in summary
    assert AUDIT.made_on.strftime("%-d %B %Y") in summary


def test_a_self_audit_says_partially_compliant_at_best():
    assert AUDIT.level == "partial"
    perfect = Audit(
        made_on=date(2026, 12, 3),
        compliant=60,
        non_compliant=0,
        not_applicable=46,
        external=False,
        failures=(),
    )
    assert perfect.level == "partial"
    assert Audit(**{**perfect.__dict__, "external": True}).level == "total"
    failing = [NonCompliance(str(n), "x") for n in range(31)]
    poor = Audit(
        made_on=date(2026, 12, 3),
        compliant=30,
        non_compliant=31,
        not_applicable=45,
        external=True,
        failures=tuple(failing),
    )
    assert poor.level == "none"


def test_an_audit_that_does_not_add_up_is_refused():
    with pytest.raises(ValueError, match="106"):
        Audit(
            made_on=date(2026, 12, 3),
            compliant=1,
            non_compliant=0,
            not_applicable=1,
            external=False,
            failures=(),
        )


@pytest.mark.django_db
def test_the_page_shows_the_audits_figures(client):
    _english(client)

    response = client.get(reverse("accessibility"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "partially compliant" in page
    assert f"{AUDIT.rate} %" in page
    assert f"{AUDIT.compliant} compliant criteria out of {AUDIT.applicable} applicable" in page
    assert "4 December 2026" in page
    for failure in AUDIT.failures:
        assert f"Criterion {failure.criterion}:" in page
    # The recourse the law requires.
    assert "09 69 39 00 00" in page
    assert "Libre réponse 71120" in page


@pytest.mark.django_db
def test_the_page_follows_the_module_not_its_template(client, monkeypatch):
    """Another audit, another page: nothing is written twice."""
    later = Audit(
        made_on=date(2027, 3, 1),
        compliant=62,
        non_compliant=1,
        not_applicable=43,
        external=False,
        failures=(NonCompliance("12.1", "no site map"),),
    )
    monkeypatch.setattr(accessibility, "AUDIT", later)
    _english(client)

    page = client.get(reverse("accessibility")).content.decode()

    assert "98.4 %" in page
    assert "1 March 2027" in page
    assert "Criterion 12.1:" in page
    assert "Criterion 8.7:" not in page


@pytest.mark.django_db
def test_the_contact_address_is_a_setting(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "accessibilite@example.gouv.fr"

    page = client.get(reverse("accessibility")).content.decode()

    assert 'href="mailto:accessibilite@example.gouv.fr"' in page


@pytest.mark.django_db
def test_every_pages_footer_links_to_the_statement_with_its_level(client):
    _english(client)

    page = client.get(reverse("home")).content.decode()

    footer = page.split('id="footer"')[1]
    link = re.search(rf'<a [^>]*href="{reverse("accessibility")}"[^>]*>([^<]+)</a>', footer)
    assert link, "the footer has no link to the accessibility statement"
    assert link.group(1) == "Accessibility: partially compliant"
    assert "not yet audited" not in page
