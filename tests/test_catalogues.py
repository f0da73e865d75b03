"""The translation catalogues hold every string of the code and templates.

``make messages`` extracts the strings and compiles the catalogues. This check
runs the same extraction on a copy of the tree and fails when a string is
missing from a catalogue (or a catalogue keeps a string the code dropped), when
a translation of a language of ``settings.LANGUAGES`` (English, the source,
excepted) is missing or fuzzy, when a translation breaks a placeholder or an
HTML tag, or when a compiled ``.mo`` is older than its ``.po``.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers.checkout import ROOT, clone_into

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# Languages whose msgids are the text itself: an empty msgstr shows the msgid.
SOURCE_LANGUAGES = {"en"}


def _msgfmt() -> str:
    tool = shutil.which("msgfmt")
    if tool is None:
        pytest.fail("GNU gettext is missing: scripts/ensure-test-services.sh installs it")
    return tool


def _blocks(po: Path) -> list[tuple[dict[str, str], bool]]:
    """Each entry of ``po`` as its fields (``msgid``, ``msgstr[0]``...) decoded, and
    whether it is fuzzy; obsolete entries and the header left out."""
    blocks = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            match = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)[1:-1]
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        fields = {name: ast.literal_eval(f'"{value}"') for name, value in fields.items()}
        if fields.get("msgctxt") or fields["msgid"]:
            blocks.append((fields, fuzzy))
    return blocks


def _entries(po: Path) -> dict[str, tuple[str, bool]]:
    """msgid (``context\x04msgid`` as gettext keys it) -> (msgstr, fuzzy), obsolete
    entries left out. The msgstr is empty when one of its plural forms is."""
    entries: dict[str, tuple[str, bool]] = {}
    for fields, fuzzy in _blocks(po):
        key = "\x04".join(filter(None, (fields.get("msgctxt"), fields["msgid"])))
        translations = [value for name, value in fields.items() if name.startswith("msgstr")]
        entries[key] = (" ".join(translations) if all(translations) else "", fuzzy)
    return entries


# What a translation must carry over untouched. msgfmt --check compares the
# python-format ones (%(name)s); it knows nothing of brace-format placeholders
# nor of HTML, whose loss breaks a page or a link without any error.
_BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_TAGS = re.compile(r"</?[A-Za-z][^<>]*>")


def broken_markup(po: Path) -> list[str]:
    """The msgids of ``po`` whose translation lost, added or altered a
    ``{placeholder}`` or an HTML tag (each plural form against the plural msgid)."""
    broken = []
    for fields, _fuzzy in _blocks(po):
        for name, translation in fields.items():
            if not name.startswith("msgstr") or not translation:
                continue
            source = fields["msgid_plural" if name.startswith("msgstr[") else "msgid"]
            if any(
                sorted(pattern.findall(translation)) != sorted(pattern.findall(source))
                for pattern in (_BRACES, _TAGS)
            ):
                broken.append(fields["msgid"])
                break
    return broken


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The catalogues as ``make messages`` would leave them, from a copy of the tree."""
    copy = tmp_path_factory.mktemp("tree")
    clone_into(copy)
    subprocess.run(
        [sys.executable, "manage.py", "messages", "--no-compile"],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_holds_every_string_of_the_code(extracted, language):
    committed = _entries(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    current = _entries(extracted / language / "LC_MESSAGES" / "django.po")

    missing = sorted(set(current) - set(committed))
    stale = sorted(set(committed) - set(current))
    assert missing == [], f"run `make messages`: {len(missing)} string(s) missing in {language}"
    assert stale == [], f"run `make messages`: {len(stale)} string(s) no longer in the code"


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - SOURCE_LANGUAGES))
def test_every_string_is_translated(language):
    entries = _entries(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")

    untranslated = sorted(msgid for msgid, (msgstr, _fuzzy) in entries.items() if not msgstr)
    fuzzy = sorted(msgid for msgid, (_msgstr, is_fuzzy) in entries.items() if is_fuzzy)
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders_and_are_compiled(tmp_path, language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"

    # --check: the header, and every python-format string against its msgid.
    result = subprocess.run(  # noqa: S603 - our own command line
        [_msgfmt(), "--check", "-o", str(compiled), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    with compiled.open("rb") as fresh, po.with_suffix(".mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == (
            gettext.GNUTranslations(fresh)._catalog
        ), f"run `make messages`: locale/{language}/LC_MESSAGES/django.mo is not compiled"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_tags_and_brace_placeholders(language):
    assert broken_markup(ROOT / "locale" / language / "LC_MESSAGES" / "django.po") == []


BROKEN_CATALOGUE = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

#, python-format
msgid "See <a href=\\"%(url)s\\">the help</a>."
msgstr "Voir <a href=\\"%(url)s\\">l'aide."

msgid "Hello {name}."
msgstr "Bonjour {nom}."

#, python-format
msgid "<strong>%(count)s</strong> time"
msgid_plural "<strong>%(count)s</strong> times"
msgstr[0] "<strong>%(count)s</strong> fois"
msgstr[1] "%(count)s fois"

#, python-format
msgid "Your reference is %(reference)s."
msgstr "Votre référence."

msgid "Kept <strong>whole</strong>."
msgstr "Gardé <strong>entier</strong>."
"""


def test_a_translation_that_breaks_a_placeholder_is_caught(tmp_path):
    """The checks themselves, on a catalogue with one breakage of each kind."""
    po = tmp_path / "django.po"
    po.write_text(BROKEN_CATALOGUE, encoding="utf-8")

    assert broken_markup(po) == [
        'See <a href="%(url)s">the help</a>.',
        "Hello {name}.",
        "<strong>%(count)s</strong> time",
    ]
    result = subprocess.run(  # noqa: S603 - our own command line
        [_msgfmt(), "--check", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "'reference' doesn't exist in 'msgstr'" in result.stderr


def test_parser_reads_what_msgfmt_reads(tmp_path):
    """The check's own parser agrees with GNU gettext on the French catalogue."""
    po = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run([_msgfmt(), "-o", str(compiled), str(po)], check=True)  # noqa: S603
    with compiled.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog

    parsed = {msgid for msgid, (msgstr, fuzzy) in _entries(po).items() if msgstr and not fuzzy}
    keys = {key if isinstance(key, str) else key[0] for key in catalog} - {""}
    assert len(parsed) > 700
    assert parsed == keys
