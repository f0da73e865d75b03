import time
import pytest
from tests.browser.test_accessibility import _walk, Visitor, Report, checked_languages, sessions, build_world  # noqa
from tests.helpers.accessibility import PAGES, Group

@pytest.mark.parametrize("language", checked_languages())
def test_abuse_pages_pass_axe(chromium, live_server, language):
    scenario = build_world()
    group = Group("abuse")
    for key in ("agent:abuse", "agent:abuse_account"):
        group.visits.extend((key, v) for v in PAGES[key])
    visitor = Visitor(chromium, live_server, language, sessions(scenario))
    try:
        failures = _walk(visitor, scenario, group, Report(), {})
    finally:
        visitor.close()
    assert not failures, "\n".join(failures)
