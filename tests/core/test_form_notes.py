"""RGAA 11.10: a form says before its fields that every field is required unless
marked optional, and marks the optional ones; a form of optional fields only (a
search) says neither, and the summary included without a form renders nothing."""

from __future__ import annotations

from django import forms
from django.template import Context, Template
from django.utils import translation

NOTE = "All fields are required unless marked “optional”."
OPTIONAL = "(optional)"


class _Mixed(forms.Form):
    surname = forms.CharField(label="Surname")
    phone = forms.CharField(label="Phone", required=False)


class _Search(forms.Form):
    reference = forms.CharField(label="Reference", required=False)


def _render(form) -> str:
    template = Template(
        '{% include "includes/form_errors.html" %}'
        "{% for field in form %}{% include 'includes/field.html' %}{% endfor %}"
    )
    with translation.override("en"):
        return template.render(Context({"form": form}))


def test_a_form_with_a_required_field_says_so_and_marks_the_optional_ones():
    html = _render(_Mixed())

    assert NOTE in html
    assert html.count(OPTIONAL) == 1
    assert html.index(OPTIONAL) > html.index("Phone")


def test_a_form_of_optional_fields_only_says_neither():
    html = _render(_Search())

    assert NOTE not in html
    assert OPTIONAL not in html


def test_the_summary_without_a_form_renders_nothing():
    with translation.override("en"):
        html = Template('{% include "includes/form_errors.html" %}').render(Context({"form": None}))

    assert html.strip() == ""
