"""What the accessibility harness visits: every page of the project, in the states that matter.

``PAGES`` maps each URL pattern that renders HTML (its key in the permission
matrix, ``tests/helpers/matrix/``) to its visits; ``ERROR_PAGES`` holds the
error pages, reached by what really produces them (a wrong host, a raising
view, a rate limit at zero...). A ``Visit`` is one page state as one persona of
the persona world (``tests/personas.py``), or one of ``EXTRA_PERSONAS``:

- ``errors``: fields to fill before submitting the page's form with the
  browser's own validation off, to check the form re-rendered with its errors;
- ``submit``: fields to fill before submitting the page's form (with
  ``button``, the submit button to press): a page only a POST reaches (a
  preview, a list of people found), checked as it is answered;
- ``state``: a context manager that puts the world (or the settings) in the
  state the page needs, and puts it back.

``tests/browser/test_accessibility_routes.py`` checks that no URL pattern
renders HTML without visits here (a rule, asked of every case of the permission
matrix, not a list of exceptions); ``tests/browser/test_accessibility.py``
runs axe-core on every visit.

The rooms of this package: ``visits`` (``Visit``, and the states and builders
the visits use), one module per area of ``PAGES`` in its order (``public``: the
public pages, the substitution route and accounts; ``backoffice``: the
supervisors' and agents' back office; ``mediation``: the mediators' console;
``applicants``: booking, alerts and the record of attempts, for applicants;
``allocation``: fair allocation), ``pages`` (``PAGES`` assembled from the areas,
which may not share a URL name), ``errors`` (``ERROR_PAGES``) and ``groups``
(who visits, in which languages, in which shares).
"""

from tests.helpers.accessibility.errors import ERROR_PAGES
from tests.helpers.accessibility.groups import Group, checked_languages, groups, sessions
from tests.helpers.accessibility.pages import PAGES
from tests.helpers.accessibility.visits import (
    EXTRA_PERSONAS,
    NAMESAKES,
    State,
    Visit,
    attempts_history,
    locked_login,
    namesakes,
    nothing_free,
    own_checked_in,
    person_chosen,
    walk_in_reads_arabic,
)

__all__ = [
    "ERROR_PAGES",
    "EXTRA_PERSONAS",
    "NAMESAKES",
    "PAGES",
    "Group",
    "State",
    "Visit",
    "attempts_history",
    "checked_languages",
    "groups",
    "locked_login",
    "namesakes",
    "nothing_free",
    "own_checked_in",
    "person_chosen",
    "sessions",
    "walk_in_reads_arabic",
]
