"""How the dashboard shows a figure: a count as a number, a rate as a
percentage, days with one decimal, and a dash where there is no value."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def figure_value(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{number_format(value * 100, 1)} %"
    if kind == "days":
        return number_format(value, 1)
    return number_format(value, 0, force_grouping=True)
