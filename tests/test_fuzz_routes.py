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

import os
import re
import traceback
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.helpers.matrix import MATRIX, REFUSALS, Personas, outcome_of, url_patterns
from tests.personas import World, build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FUZZ_PERSONAS = ("anonymous", "applicant", "other_applicant", "mediator", "agent", "supervisor")
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
HYPOTHESIS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
)
PROBES_ONLY = settings(HYPOTHESIS, phases=[Phase.explicit])
ROOT = Path(__file__).resolve().parent.parent

# --- Values -------------------------------------------------------------------------------

# isdigit() is true, int() refuses them: superscripts, subscripts, circled, Kharosthi.
FALSE_DIGITS = "²³¹⁰⁴⁹₀₅①⑨⓪𐩀"
# Digits int() takes: Arabic-Indic, Extended Arabic-Indic, Devanagari, fullwidth, maths.
OTHER_DIGITS = "٠١٣٩۰۵०१９𝟘𝟙"
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "+1",
    "1_000",
    " 7 ",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "9" * 30,
    "9" * 5000,  # past int()'s digit limit
    "²",
    "1²",
    "٣",
    "١٢٣",
    "\x00",
    "a\x00b",
    "0\x00",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661",  # Arabic-Indic digits
    "2026-01-01T25:00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%s%n",
    "{}",
    "[]",
    "null",
    "true",
    "\u202e\ufeff\u200b",
    "é" * 300,
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.sampled_from(FALSE_DIGITS + OTHER_DIGITS + "0123456789"), min_size=1, max_size=24),
    st.integers(min_value=-(2**70), max_value=2**80).map(str),
    TEXT,
    st.builds(lambda char, n: char * n, st.sampled_from("a9²\x00é"), st.integers(300, 20_000)),
)
# Each field, query parameter and URL argument gets each of these once, the rest as rendered.
HUGE = str(2**64)
PROBES = ["²", HUGE, "\x00"]
RANDOM_NAMES = st.one_of(st.sampled_from(["page", "next", "format", "cursor", "id", "pk"]), TEXT)


POST_DATA = st.dictionaries(TEXT, VALUES, max_size=3)


def _field_value(default: str | None) -> st.SearchStrategy[str]:
    """The rendered value (half the time, when there is one) or a fuzzed one."""
    if default is None:
        return VALUES
    return st.booleans().flatmap(lambda keep: st.just(default) if keep else VALUES)


# --- What a route reads -------------------------------------------------------------------


def _query_names_in_source() -> list[str]:
    """The query parameters the code reads by name, anywhere in the project."""
    readers = re.compile(
        r"""(?:GET|query_params|params)\.(?:get|getlist)\(\s*["'](\w+)["']"""
        r"""|["'](\w+)["']\s+(?:not\s+)?in\s+(?:self\.)?request\.(?:GET|query_params)"""
    )
    names: set[str] = set()
    for app in ("accounts", "audit", "booking", "core", "mediation", "notifications", "config"):
        for path in (ROOT / app).rglob("*.py"):
            for match in readers.finditer(path.read_text()):
                names.add(match.group(1) or match.group(2))
    return sorted(names)


class _Forms(HTMLParser):
    """The forms of a page: method, action, and each field's name and rendered values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "method": a.get("method", "get").lower(),
                    "action": a.get("action", ""),
                    "fields": {},
                }
            )
            return
        if not self.forms:
            return
        fields: dict[str, list[str]] = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            values = fields.setdefault(name, [])
            if kind not in ("checkbox", "radio") or "checked" in a:
                values.append(a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                fields.setdefault(f"{name}\x00choices", []).append(a.get("value", "on"))
        elif tag == "textarea" and name:
            fields.setdefault(name, [])
        elif tag == "select" and name:
            fields.setdefault(name, [])
            self._select = name
        elif tag == "option" and self._select:
            fields.setdefault(f"{self._select}\x00options", []).append(a.get("value", ""))
            if "selected" in a or not fields[self._select]:
                fields[self._select][:] = [a.get("value", "")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _schema_query_names(personas: Personas) -> list[tuple[re.Pattern, list[str]]]:
    """(path pattern, query parameter names) of every operation of the API schema."""
    schema = personas.request("anonymous", "GET", "/api/v1/schema/", None, {"format": "json"})
    rows = []
    for template, operations in schema.json()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
        names = {
            parameter["name"]
            for operation in operations.values()
            if isinstance(operation, dict)
            for parameter in operation.get("parameters", [])
            if parameter.get("in") == "query"
        }
        rows.append((pattern, sorted(names)))
    return rows


# --- Asking -------------------------------------------------------------------------------


class Failures:
    """Each 5xx (or exception) found, the last one drawn for a target being its shrunk form."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def check(self, target: str, ask) -> None:
        """Run ``ask`` (a Hypothesis test); keep what it found for ``target``."""
        self._last = ""
        try:
            ask()
        except Exception:  # every failure is reported, all at once
            self.found[target] = self._last or traceback.format_exc(limit=-3)

    def seen(self, what: str, response=None, error: BaseException | None = None) -> None:
        if error is not None:
            self._last = f"{what}\n    raised {error!r}"
            raise error
        if response.status_code >= 500:
            self._last = f"{what}\n    answered {response.status_code}"
            raise AssertionError(self._last)


def _send(
    personas: Personas,
    failures: Failures,
    persona: str,
    method: str,
    path: str,
    data: dict | None = None,
    query: dict | None = None,
):
    what = f"{method} {path} as {persona}, query={query!r}, data={data!r}"
    try:
        with transaction.atomic():
            response = personas.request(persona, method, path, data, query)
            transaction.set_rollback(True)
    except Exception as error:
        failures.seen(what, error=error)
    failures.seen(what, response)
    return response


def _pages(scenario: World) -> dict[str, tuple[str, dict | None]]:
    """Each path the matrix asks (its cases' arguments) → (its key, the data of its POST
    case, ``None`` when it has none)."""
    routes = dict(url_patterns())
    pages: dict[str, tuple[str, dict | None]] = {}
    for key, cases in MATRIX.items():
        if key not in routes:
            continue  # an entry for a URL another branch has not merged yet
        for case in cases:
            path = case.path(scenario) if case.path else reverse(key, kwargs=case.kwargs(scenario))
            _key, data = pages.get(path, (key, None))
            if case.method == "POST" and data is None:
                data = case.data(scenario) if case.data else {}
            pages[path] = (key, data)
    return pages


def _run(
    failures: Failures,
    target: str,
    test,
    strategies: dict,
    probes: list[dict],
    *,
    refused: bool = False,
) -> None:
    """``test`` on each of ``probes`` first, then on what Hypothesis draws from
    ``strategies``; the probes only where the persona is ``refused`` (the refusal
    comes before the input is read: random draws would find nothing more there)."""
    for probe in probes:
        test = example(**probe)(test)
    chosen = PROBES_ONLY if refused and probes else HYPOTHESIS
    failures.check(target, chosen(given(**strategies)(test)))


def _refused(response) -> bool:
    """Sent to log in or to the second factor, or refused (401, 403, 404, 405)."""
    return outcome_of(response) in REFUSALS or response.status_code in (401, 403, 404, 405)


def _fuzz_queries(personas, failures, persona, path, names, *, refused: bool):
    """GET ``path`` with fuzzed query parameters: the known ``names`` and random ones."""

    def ask(query):
        _send(personas, failures, persona, "GET", path, query=query)

    query = st.dictionaries(
        st.one_of(st.sampled_from(names), RANDOM_NAMES) if names else RANDOM_NAMES,
        st.one_of(VALUES, st.lists(VALUES, min_size=1, max_size=3)),
        max_size=5,
    )
    probes = [{"query": dict.fromkeys(names, probe)} for probe in PROBES] if names else []
    _run(failures, f"GET {path} as {persona}", ask, {"query": query}, probes, refused=refused)


def _fuzz_form(personas, failures, persona, method, path, fields: dict[str, list[str]]):
    """Send the form to ``path`` (``method``: its GET or POST) with each field rendered or
    fuzzed (the CSRF token kept); first each field alone set to each probe, the others
    as rendered."""

    def ask(data):
        if method == "GET":
            _send(personas, failures, persona, "GET", path, query=data)
        else:
            _send(personas, failures, persona, "POST", path, data=data)

    rendered: dict[str, Any] = {}
    strategies: dict[str, st.SearchStrategy] = {}
    for name, values in fields.items():
        if "\x00" in name:
            continue
        choices = fields.get(f"{name}\x00choices", [])
        if name == "csrfmiddlewaretoken":
            rendered[name] = values[0] if values else ""
        elif len(choices) > 1:  # a group of checkboxes: several values
            rendered[name] = values or choices[:1]
            strategies[name] = st.lists(st.one_of(st.sampled_from(choices), VALUES), max_size=3)
        else:
            default = values[0] if values else choices[0] if choices else None
            if default is not None:
                rendered[name] = default
            strategies[name] = _field_value(default)
    body = st.tuples(
        st.fixed_dictionaries(strategies),
        st.dictionaries(RANDOM_NAMES, VALUES, max_size=2),
    ).map(lambda drawn: {**drawn[1], **drawn[0], **_token(rendered)})
    probes = [
        {"data": {**rendered, name: probe}}
        for name in strategies
        for probe in PROBES
        if probe != HUGE or _holds_ids(fields, name)
    ]
    if method == "GET":
        refused = _refused(_send(personas, failures, persona, "GET", path, query=rendered))
    else:
        refused = _refused(_send(personas, failures, persona, "POST", path, data=rendered))
    target = f"{method} form {path} as {persona}"
    _run(failures, target, ask, {"data": body}, probes, refused=refused)


def _holds_ids(fields: dict[str, list[str]], name: str) -> bool:
    """Whether a field's rendered values (or options) are ids: those to try past ``bigint``."""
    values = [
        value
        for key in (name, f"{name}\x00choices", f"{name}\x00options")
        for value in fields.get(key, [])
    ]
    return any(value.isascii() and value.isdigit() for value in values)


def _token(rendered: dict[str, Any]) -> dict[str, Any]:
    name = "csrfmiddlewaretoken"
    return {name: rendered[name]} if name in rendered else {}


_CONVERTERS = {
    "int": st.one_of(st.integers(0, 2**64 + 5), st.integers(0, 10**40)),
    "slug": st.from_regex(r"[-a-zA-Z0-9_]+", fullmatch=True),
    "str": st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1),
    "path": st.text(st.characters(exclude_categories=("Cs",)), min_size=1),
}
# Per converter, the probes it can carry: past bigint for numbers, the rest as text.
_CONVERTER_PROBES = {
    "int": [2**64, 2**63, 0],
    "slug": ["9" * 25, "x" * 300, "-"],
    "str": PROBES,
    "path": PROBES,
}


def _fuzz_kwargs(personas, failures, persona, key, route, methods):
    """The route with its URL arguments fuzzed within what their converters accept."""

    def ask(kwargs, method, data):
        path = reverse(key, kwargs=kwargs)
        _send(personas, failures, persona, method, path, data=data if method == "POST" else None)

    converters = {name: kind or "str" for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)}
    if not converters or any(kind not in _CONVERTERS for kind in converters.values()):
        return
    kwargs = st.fixed_dictionaries({name: _CONVERTERS[kind] for name, kind in converters.items()})
    probes = [
        {
            "kwargs": {name: _CONVERTER_PROBES[kind][i] for name, kind in converters.items()},
            "method": method,
            "data": {},
        }
        for i in range(3)
        for method in methods
    ]
    strategies = {"kwargs": kwargs, "method": st.sampled_from(methods), "data": POST_DATA}
    _run(failures, f"{key} arguments as {persona}", ask, strategies, probes)


# --- The test -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", FUZZ_PERSONAS)
def test_no_route_answers_5xx_to_fuzzed_input(persona):
    scenario = build_world()
    personas = Personas(scenario)
    failures = Failures()
    source_names = _query_names_in_source()
    schema_names = _schema_query_names(personas)
    assert any(names for _pattern, names in schema_names), "the API schema documents no query"
    pages = _pages(scenario)
    routes = dict(url_patterns())
    forms: dict[tuple[str, str, tuple[str, ...]], dict[str, list[str]]] = {}
    for path, (_key, post_data) in pages.items():
        response = _send(personas, failures, persona, "GET", path)
        names = set(source_names)
        if response["Content-Type"].startswith("text/html"):
            for form in _forms(response.content.decode()):
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
        _fuzz_queries(personas, failures, persona, path, sorted(names), refused=refused)
        if post_data is not None:
            fields = {name: [str(value)] for name, value in post_data.items()}
            forms.setdefault(("POST", path, ("*matrix*",)), fields)
    for (method, action, _names), fields in forms.items():
        _fuzz_form(personas, failures, persona, method, action, fields)
    assert len(pages) > 40 and len(forms) > 10  # the walk reached the routes and their forms
    for key in MATRIX:
        if key in routes and ":" in key:
            methods = sorted({case.method for case in MATRIX[key]} & {"GET", "POST"})
            _fuzz_kwargs(personas, failures, persona, key, routes[key], methods or ["GET"])
    assert not failures.found, "5xx answers (each with its smallest example):\n" + "\n".join(
        f"- {target}: {found}" for target, found in sorted(failures.found.items())
    )
