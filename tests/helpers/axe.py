"""axe-core in a Playwright page: the rules of the house, and what counts as failing.

axe-core comes inside the ``axe-playwright-python`` wheel (``axe.min.js``):
nothing is fetched at run time. It is evaluated through the DevTools protocol
(``page.evaluate``), which the Content-Security-Policy does not govern, so the
pages are checked under their real policy. ``axe_inject`` once per page load,
then ``axe_check`` as often as the page changes (another viewport width).

The WCAG 2.0 and 2.1 A and AA rules fail the suite when a violation's impact is
serious or critical (RGAA 4.1 asks for WCAG 2.1 AA). Moderate and minor ones,
and axe's best practices, are reported, not failed: ``docs/accessibility.md``
lists them, fixed or justified.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

FAILING_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
REPORTED_TAGS = ("best-practice",)
FAILING_IMPACTS = ("serious", "critical")

# Rules switched off, each for a reason that holds on every page (never per page).
# Empty: DSFR's colours pass axe's contrast rule on every page as rendered.
EXCLUDED_RULES: dict[str, str] = {}


@cache
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def axe_inject(page) -> None:
    page.evaluate(axe_source())


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    tags: tuple[str, ...]
    targets: tuple[str, ...]  # CSS selectors of the first offending nodes
    html: str  # the first offending node's markup, shortened

    @property
    def fails(self) -> bool:
        return self.impact in FAILING_IMPACTS and any(tag in FAILING_TAGS for tag in self.tags)


def axe_check(page) -> list[Violation]:
    """axe on the page as it is now (axe already injected)."""
    options = {
        "runOnly": {"type": "tag", "values": [*FAILING_TAGS, *REPORTED_TAGS]},
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in EXCLUDED_RULES},
    }
    results = page.evaluate("options => axe.run(document, options)", options)
    return [
        Violation(
            rule=item["id"],
            impact=item.get("impact") or "minor",
            help=item["help"],
            tags=tuple(item["tags"]),
            targets=tuple(" ".join(map(str, node["target"])) for node in item["nodes"][:5]),
            html=item["nodes"][0]["html"][:200] if item["nodes"] else "",
        )
        for item in results["violations"]
    ]


@dataclass
class Report:
    """Every violation seen, by page state; the failing ones also in ``failures``."""

    seen: list[dict] = field(default_factory=list)

    def add(self, where: str, violations: list[Violation]) -> list[str]:
        """Record ``violations`` of the page state ``where``; return the failing ones, readable."""
        failing = []
        for violation in violations:
            self.seen.append({"where": where, **asdict(violation), "fails": violation.fails})
            if violation.fails:
                failing.append(
                    f"{where}: {violation.rule} ({violation.impact}) {violation.help}\n"
                    f"    at {', '.join(violation.targets)}\n    {violation.html}"
                )
        return failing

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.seen, indent=1, ensure_ascii=False))

    def summary(self) -> str:
        """One line per rule not failing the suite: its impact, the page states that have it."""
        by_rule: dict[tuple[str, str], list[str]] = {}
        for item in self.seen:
            if not item["fails"]:
                by_rule.setdefault((item["rule"], item["impact"]), []).append(item["where"])
        return "\n".join(
            f"{impact:9} {rule}: {len(wheres)} page states, e.g. {wheres[0]}"
            for (rule, impact), wheres in sorted(by_rule.items())
        )
