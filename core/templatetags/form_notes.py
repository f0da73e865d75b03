"""What a form says before its fields (RGAA 11.10): "every field is required unless
marked optional", and the "optional" mark itself, only on forms that hold at least
one required field (a search form whose every field is optional says neither)."""

from __future__ import annotations

import re

from django import forms, template

register = template.Library()


@register.filter
def has_required(form: forms.BaseForm | None) -> bool:
    """False for anything but a form (a template may include the summary without one)."""
    if not isinstance(form, forms.BaseForm):
        return False
    return any(field.field.required for field in form.visible_fields())


@register.filter
def widget_kind(field) -> str:
    """``field.widget_type`` of the Django widget the field's widget is or extends:
    a project's subclass (``core.data_language.FrenchCheckboxes``) renders as its
    base (``checkboxselectmultiple``), not by its own class name."""
    for cls in type(field.field.widget).__mro__:
        if cls.__module__ == "django.forms.widgets":
            return re.sub(r"widget$|input$", "", cls.__name__.lower())
    return field.widget_type
