"""Driving a page with the keyboard only (Tab, Shift+Tab, Enter, Space, typing), as a person
who cannot use a mouse does, and checking at every stop that the focus can be seen."""

from __future__ import annotations

# The focus ring DSFR draws: on the element itself; for a link that enlarges to its card,
# on the link's ::before that covers the card; for a checkbox or radio, on its label's box
# (the input itself is drawn invisible).
_FOCUS_SEEN = """() => {
  const el = document.activeElement;
  const ring = (style) => style && (
    (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || (style.boxShadow && style.boxShadow !== "none"));
  if (ring(getComputedStyle(el))) return true;
  if (el.closest(".fr-enlarge-link") && ring(getComputedStyle(el, "::before"))) return true;
  if (el.labels && el.labels.length && ["checkbox", "radio"].includes(el.type)) {
    return ring(getComputedStyle(el.labels[0], "::before"));
  }
  return false;
}"""
_DESCRIBE = """() => {
  const el = document.activeElement;
  return el.outerHTML.slice(0, 160);
}"""


def focused(page) -> str:
    """The start of the focused element's markup, for messages."""
    return page.evaluate(_DESCRIBE)


def focus_is_on(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, *, most: int = 80, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has the focus;
    fail if it never does, or if the focus is invisible at any stop on the way."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(most):
        page.keyboard.press(key)
        assert page.evaluate(_FOCUS_SEEN), f"the focus cannot be seen on {focused(page)}"
        if focus_is_on(page, selector):
            return
    raise AssertionError(f"{selector} is not reachable with {key} (last: {focused(page)})")


def activate(page, key: str = "Enter") -> None:
    """Press ``key`` on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()
