"""What the prefecture writes in French, in a page of another language, is
marked as French (RGAA 8.7), and left to right in an Arabic page (8.10):
``core/templatetags/data_language.py``'s ``|fr`` and ``|ltr``."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests import factories
from tests.auth import login

RENDER = Template("{{ value|fr }}|{{ value|ltr }}")


def _render(language: str, value) -> str:
    with translation.override(language):
        return RENDER.render(Context({"value": value}))


def test_in_a_french_page_the_data_is_as_it_is():
    assert _render("fr", "Sous-préfecture du Raincy") == (
        "Sous-préfecture du Raincy|Sous-préfecture du Raincy"
    )


def test_in_an_english_page_it_is_marked_french():
    assert _render("en", "Préfecture") == '<span lang="fr">Préfecture</span>|Préfecture'


def test_in_an_arabic_page_it_is_marked_french_and_left_to_right():
    assert _render("ar", "Préfecture") == (
        '<span lang="fr" dir="ltr">Préfecture</span>|<span dir="ltr">Préfecture</span>'
    )


def test_the_value_is_escaped_and_nothing_is_marked_empty():
    assert _render("ar", "<b>&") == (
        '<span lang="fr" dir="ltr">&lt;b&gt;&amp;</span>|<span dir="ltr">&lt;b&gt;&amp;</span>'
    )
    assert _render("en", "") == "|"
    assert _render("en", None) == "|"


def test_a_marked_name_can_go_in_a_translated_sentence():
    template = Template(
        "{% load i18n %}"
        "{% blocktranslate with name=value|fr %}At {{ name }}.{% endblocktranslate %}"
    )
    with translation.override("en"):
        rendered = template.render(Context({"value": "Bobigny <1>"}))

    assert rendered == 'At <span lang="fr">Bobigny &lt;1&gt;</span>.'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "mark"), [("fr", None), ("en", 'lang="fr"'), ("ar", 'lang="fr" dir="ltr"')]
)
def test_the_procedures_and_places_of_the_booking_path_are_marked(client, language, mark):
    site = factories.SiteFactory(name="Sous-préfecture du Raincy")
    procedure = factories.ProcedureFactory(name="Première demande de titre de séjour")
    factories.SlotFactory(site=site, procedure=procedure)
    login(client, factories.ApplicantFactory().user)
    client.cookies["django_language"] = language

    procedures = client.get(reverse("booking:procedures")).content.decode()
    sites = client.get(reverse("booking:sites", args=[procedure.slug])).content.decode()

    for page, name in ((procedures, procedure.name), (sites, site.name)):
        main = page.split("<main", 1)[1]
        assert name in main
        marked = (
            re.findall(rf"<span {re.escape(mark)}>{re.escape(name)}</span>", main) if mark else []
        )
        if mark is None:
            assert '<span lang="fr"' not in main
        else:
            # Every time the name shows, it is marked.
            assert len(marked) == main.count(name), (language, name)


def test_a_select_marks_its_places_not_its_empty_or_general_choices():
    from django import forms

    from core.data_language import FrenchSelect

    class Form(forms.Form):
        site = forms.ChoiceField(
            choices=[("", "Choose"), ("all", "Every site"), ("1", "Bobigny")],
            widget=FrenchSelect(not_french=["all"]),
        )

    with translation.override("ar"):
        html = str(Form()["site"])
    with translation.override("fr"):
        french_page = str(Form()["site"])

    assert '<option value="1" lang="fr" dir="ltr">Bobigny</option>' in html
    assert '<option value="all">Every site</option>' in html
    assert '<option value="" selected>Choose</option>' in html
    assert 'lang="fr"' not in french_page


def test_checkboxes_mark_their_labels_and_render_as_checkboxes():
    from django import forms

    from core.data_language import FrenchCheckboxes

    class Form(forms.Form):
        sites = forms.MultipleChoiceField(
            choices=[("1", "Sous-préfecture du Raincy")], widget=FrenchCheckboxes
        )

    with translation.override("en"):
        html = Template('{% include "includes/field.html" with field=form.sites %}').render(
            Context({"form": Form()})
        )

    assert 'type="checkbox"' in html and "<fieldset" in html
    assert '<span lang="fr">Sous-préfecture du Raincy</span></label>' in html
