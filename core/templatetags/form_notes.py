"""What a form says before its fields (RGAA 11.10): "every field is required unless
marked optional", and the "optional" mark itself, only on forms that hold at least
one required field (a search form whose every field is optional says neither)."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.filter
def has_required(form: forms.BaseForm | None) -> bool:
    """False for anything but a form (a template may include the summary without one)."""
    if not isinstance(form, forms.BaseForm):
        return False
    return any(field.field.required for field in form.visible_fields())
