"""What every form of the project shares (RGAA 11.13: the purpose of a personal field is
given to the browser with ``autocomplete``; tests/core/test_form_markup.py checks it)."""

from __future__ import annotations


class AboutSomeoneElse:
    """A form staff fill in about another person (a walk-in, a colleague, an audit
    filter): the browser must not offer the staff member's own name, address or phone,
    so every field says ``autocomplete="off"``. Put it before ``forms.Form`` in the bases."""

    about_someone_else = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"
