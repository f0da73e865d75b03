"""How ``tests/test_fuzz_routes.py`` fuzzes a route: the names it reads, its forms,
the requests, and the failures found (its docstring says what and why)."""

from __future__ import annotations

import re
import traceback
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.db import transaction
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from tests.helpers.fuzz_values import (
    HUGE,
    HYPOTHESIS,
    POST_DATA,
    PROBES,
    PROBES_ONLY,
    RANDOM_NAMES,
    VALUES,
    field_value,
)
from tests.helpers.matrix import MATRIX, REFUSALS, Personas, outcome_of, url_patterns
from tests.personas import World

ROOT = Path(__file__).resolve().parent.parent.parent

# --- What a route reads -------------------------------------------------------------------


def query_names_in_source() -> list[str]:
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


def forms_in(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def schema_query_names(personas: Personas) -> list[tuple[re.Pattern, list[str]]]:
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


def send_as(
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


def route_pages(scenario: World) -> dict[str, tuple[str, dict | None]]:
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


def fuzz_queries(personas, failures, persona, path, names, *, refused: bool):
    """GET ``path`` with fuzzed query parameters: the known ``names`` and random ones."""

    def ask(query):
        send_as(personas, failures, persona, "GET", path, query=query)

    query = st.dictionaries(
        st.one_of(st.sampled_from(names), RANDOM_NAMES) if names else RANDOM_NAMES,
        st.one_of(VALUES, st.lists(VALUES, min_size=1, max_size=3)),
        max_size=5,
    )
    probes = [{"query": dict.fromkeys(names, probe)} for probe in PROBES] if names else []
    _run(failures, f"GET {path} as {persona}", ask, {"query": query}, probes, refused=refused)


def fuzz_form(personas, failures, persona, method, path, fields: dict[str, list[str]]):
    """Send the form to ``path`` (``method``: its GET or POST) with each field rendered or
    fuzzed (the CSRF token kept); first each field alone set to each probe, the others
    as rendered."""

    def ask(data):
        if method == "GET":
            send_as(personas, failures, persona, "GET", path, query=data)
        else:
            send_as(personas, failures, persona, "POST", path, data=data)

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
            strategies[name] = field_value(default)
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
        refused = _refused(send_as(personas, failures, persona, "GET", path, query=rendered))
    else:
        refused = _refused(send_as(personas, failures, persona, "POST", path, data=rendered))
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


def fuzz_kwargs(personas, failures, persona, key, route, methods):
    """The route with its URL arguments fuzzed within what their converters accept."""

    def ask(kwargs, method, data):
        path = reverse(key, kwargs=kwargs)
        send_as(personas, failures, persona, method, path, data=data if method == "POST" else None)

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
