"""Fuzzing every route with arbitrary Unicode, as every persona: never a 5xx.

The routes are those of the permission matrix (``tests/test_permission_matrix.py``:
its completeness test makes every new URL pattern take an entry there, so a new
route joins this harness too), with the URL arguments of its cases, in its world
(``tests/personas.py``) and with its logged-in clients (``Personas``). The admin is
left out, as the matrix leaves it out of ``MATRIX``: it refuses every persona
before reading any input. The API's bodies are fuzzed from its schema by
``tests/api/test_fuzz.py``; here the API gets its query parameters (those its
schema documents, list filters included), its URL arguments and the fields of
its matrix cases fuzzed like the pages. DELETE is not fuzzed (it reads no input).

For each persona (anonymous, applicant, other applicant, mediator, agent,
supervisor), each route is asked:

- ``GET`` with fuzzed query parameters: the names the code reads
  (``request.GET.get("...")`` and the like, found in the source), those of the
  page's GET forms, those the API schema documents for the path, and random
  names;
- every form the pages render, to its action, by its method (``<input>``,
  ``<select>``, ``<textarea>`` names read from the HTML, the CSRF token kept),
  each field either its rendered value or a fuzzed one; POST-only routes with
  the fields of their matrix case and random ones;
- its URL arguments fuzzed within what their converter accepts (``int`` gets
  numbers far past ``bigint``; ``str`` any text, NUL included).

First the probes (``PROBES``: "²", a number past ``bigint``, NUL), each in each
field alone, the others as rendered, and in every query parameter at once:
those catch an ``int(x) if x.isdigit()`` or an unchecked id deterministically.
Then ``FUZZ_EXAMPLES`` draws by Hypothesis, where the persona was not refused
(sent to log in, 401, 403, 404, 405: the refusal comes before the input is
read). Values: any text without surrogates (HTTP cannot carry them): NUL,
digits that ``str.isdigit`` takes and ``int`` refuses (superscripts, circled),
digits that both take (Arabic-Indic, Devanagari), huge and negative numbers,
malformed dates, long strings. Every request runs in a savepoint that is rolled
back, and rate limits are reset, so each draw starts from the same world.

Bounded: about a minute with two workers. ``FUZZ_EXAMPLES=200`` for a longer
hunt. A failure lists every route that answered a 5xx (or raised), each with
its smallest example.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.helpers.matrix import MATRIX, Personas, url_patterns
from tests.helpers.route_fuzzing import (
    Failures,
    forms_in,
    fuzz_form,
    fuzz_kwargs,
    fuzz_queries,
    query_names_in_source,
    route_pages,
    schema_query_names,
    send_as,
)
from tests.personas import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FUZZ_PERSONAS = ("anonymous", "applicant", "other_applicant", "mediator", "agent", "supervisor")


# --- The test -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", FUZZ_PERSONAS)
def test_no_route_answers_5xx_to_fuzzed_input(persona):
    scenario = build_world()
    personas = Personas(scenario)
    failures = Failures()
    source_names = query_names_in_source()
    schema_names = schema_query_names(personas)
    assert any(names for _pattern, names in schema_names), "the API schema documents no query"
    pages = route_pages(scenario)
    routes = dict(url_patterns())
    forms: dict[tuple[str, str, tuple[str, ...]], dict[str, list[str]]] = {}
    for path, (_key, post_data) in pages.items():
        response = send_as(personas, failures, persona, "GET", path)
        names = set(source_names)
        if response["Content-Type"].startswith("text/html"):
            for form in forms_in(response.content.decode()):
                action = urlsplit(form["action"]).path or path
                if form["method"] == "get":
                    names.update(n for n in form["fields"] if "\x00" not in n)
                if not action.startswith("/admin/"):
                    method = "GET" if form["method"] == "get" else "POST"
                    forms[(method, action, tuple(sorted(form["fields"])))] = form["fields"]
        for pattern, documented in schema_names:
            if pattern.match(path):
                names.update(documented)
        refused = response.status_code != 200
        fuzz_queries(personas, failures, persona, path, sorted(names), refused=refused)
        if post_data is not None:
            fields = {name: [str(value)] for name, value in post_data.items()}
            forms.setdefault(("POST", path, ("*matrix*",)), fields)
    for (method, action, _names), fields in forms.items():
        fuzz_form(personas, failures, persona, method, action, fields)
    assert len(pages) > 40 and len(forms) > 10  # the walk reached the routes and their forms
    for key in MATRIX:
        if key in routes and ":" in key:
            methods = sorted({case.method for case in MATRIX[key]} & {"GET", "POST"})
            fuzz_kwargs(personas, failures, persona, key, routes[key], methods or ["GET"])
    assert not failures.found, "5xx answers (each with its smallest example):\n" + "\n".join(
        f"- {target}: {found}" for target, found in sorted(failures.found.items())
    )
