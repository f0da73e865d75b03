"""What the prefecture enters in French (names of procedures, places and
access points, addresses), shown in a page of another language, must be
marked as French (RGAA 8.7) and, in a right-to-left page, as left to right
(8.10): ``core/templatetags/data_language.py``. ``unmarked_french`` finds, in
a page a browser rendered, every text that holds one of those values and is
not so marked; the accessibility harness runs it on every page it visits in
a language other than French (``tests/browser/test_accessibility.py``)."""

from __future__ import annotations

# A text node holding one of the values, in an element not marked French (or,
# in a right-to-left page, not marked left to right).
_UNMARKED = """([values, rtl]) => {
  const problems = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest('script, style, template, noscript')) continue;
    for (const value of values) {
      if (!node.nodeValue.includes(value)) continue;
      const where = `"${value}" in <${element.tagName.toLowerCase()}>`;
      const language = element.closest('[lang]').getAttribute('lang');
      if (!language.startsWith('fr')) {
        problems.add(`${where} is not marked as French (lang)`);
      } else if (rtl && element.closest('[dir]').getAttribute('dir') !== 'ltr') {
        problems.add(`${where} is not marked left to right (dir)`);
      }
    }
  }
  return [...problems];
}"""


def french_values() -> list[str]:
    """What the database holds that the prefecture wrote in French and pages show:
    names, addresses, documents to bring."""
    from booking.models import Procedure, Site
    from mediation.models import AccessPoint

    values = set(Procedure.objects.values_list("name", flat=True))
    for documents in Procedure.objects.values_list("documents_to_bring", flat=True):
        values.update(line.strip() for line in documents.splitlines())
    for model in (Site, AccessPoint):
        for name, address in model.objects.values_list("name", "address"):
            values.update((name, address))
    return sorted(value for value in values if len(value) >= 6)


def unmarked_french(page, values: list[str], *, rtl: bool) -> list[str]:
    """The texts of ``page`` (Playwright) that hold one of ``values`` unmarked."""
    return page.evaluate(_UNMARKED, [values, rtl])
