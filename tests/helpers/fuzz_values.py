"""The values ``tests/test_fuzz_routes.py`` fuzzes routes with, and its Hypothesis settings."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
HYPOTHESIS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
)
PROBES_ONLY = settings(HYPOTHESIS, phases=[Phase.explicit])

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


def field_value(default: str | None) -> st.SearchStrategy[str]:
    """The rendered value (half the time, when there is one) or a fuzzed one."""
    if default is None:
        return VALUES
    return st.booleans().flatmap(lambda keep: st.just(default) if keep else VALUES)
