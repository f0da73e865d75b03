"""Every form the project renders follows RGAA 11: a label tied to each field, errors tied
to it (aria-describedby, aria-invalid), a summary at the top that links to each wrong field
and takes the focus, the purpose of personal fields given with ``autocomplete``, and no
placeholder standing for a label.

The forms are found, not listed: every form class of the project's packages (the URLconf
imports them all), plus Django's own forms that our pages render. A new form joins by
existing; a new template is read by the second half of the module."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.template import Context, Template
from django.urls import get_resolver

from accounts.models import User
from tests.helpers.html_tree import Element, parse

PROJECT_PACKAGES = (
    "core",
    "audit",
    "accounts",
    "booking",
    "notifications",
    "mediation",
    "privacy",
    "backoffice",
)
# Django's forms that our pages render as they are (the project's subclasses join by themselves).
DJANGO_FORMS_RENDERED = [auth_forms.PasswordChangeForm, auth_forms.SetPasswordForm]

# The browser's autofill tokens a personal field must carry (WCAG 1.3.5, RGAA 11.13),
# by field name; and by widget, whatever the name.
AUTOCOMPLETE_BY_NAME = {
    "email": {"email", "username"},
    "username": {"username"},
    "phone": {"tel"},
    "surname": {"family-name"},
    "given_names": {"given-name"},
    "birth_date": {"bday"},
    "code": {"one-time-code"},
    "password": {"current-password", "new-password"},
    "old_password": {"current-password"},
    "new_password1": {"new-password"},
    "new_password2": {"new-password"},
}
AUTOCOMPLETE_BY_WIDGET = {
    forms.PasswordInput: {"current-password", "new-password"},
    forms.EmailInput: {"email", "username"},
}

FORM_PAGE = Template(
    "{% include 'includes/form_errors.html' %}<form method='post' novalidate>"
    "{% for field in form.hidden_fields %}{{ field }}{% endfor %}"
    "{% for field in form.visible_fields %}{% include 'includes/field.html' %}{% endfor %}</form>"
)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _rendered_form_classes() -> list[type[forms.BaseForm]]:
    """The project's forms, the admin's excepted (Django's admin draws its own markup)."""
    get_resolver().url_patterns  # noqa: B018 - importing the URLconf imports every view and form
    ours = [
        cls
        for cls in _subclasses(forms.BaseForm)
        if cls.__module__.split(".")[0] in PROJECT_PACKAGES
        and not cls.__module__.endswith(".admin")
        and "Admin" not in cls.__name__
        and not cls.__module__.startswith("tests")
    ]
    return sorted({*ours, *DJANGO_FORMS_RENDERED}, key=lambda c: f"{c.__module__}.{c.__name__}")


FORM_CLASSES = _rendered_form_classes()


def _bound(cls: type[forms.BaseForm], data: dict) -> forms.BaseForm:
    parameters = inspect.signature(cls.__init__).parameters
    if "sites" in parameters:  # the back office's forms offer the agent's sites
        from booking.models import Site

        return cls(data=data, sites=Site.objects.all())
    parameter = parameters.get("user")
    if parameter is not None and parameter.kind == inspect.Parameter.KEYWORD_ONLY:
        return cls(user=User(email="person@example.com"), data=data)
    if parameter is not None:
        return cls(User(email="person@example.com"), data=data)
    return cls(data=data)


def _failed(cls: type[forms.BaseForm]) -> forms.BaseForm:
    """The form after a submission where every field and the form itself are wrong."""
    form = _bound(cls, {})
    form.is_valid()
    for name in form.fields:
        if name not in form.errors:
            form.add_error(name, "This value is wrong.")
    form.add_error(None, "The whole form is wrong.")
    return form


def _controls(page: Element) -> list[Element]:
    return [
        e
        for e in page.find_all("input", "select", "textarea")
        if e.attrs.get("type") not in {"hidden", "submit", "button"}
    ]


def test_the_project_forms_are_found():
    names = {cls.__name__ for cls in FORM_CLASSES}
    assert {"RegistrationForm", "IdentityForm", "LoginForm", "StaffForm"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda c: c.__name__)
def test_every_field_has_a_label_tied_to_it(form_class):
    page = parse(FORM_PAGE.render(Context({"form": _bound(form_class, None)})))
    labels = {e.attrs.get("for") for e in page.find_all("label")}

    controls = _controls(page)

    assert controls
    for control in controls:
        assert control.attrs.get("id") in labels, f"{control.attrs} has no <label for>"
        assert "placeholder" not in control.attrs
    assert page.by_id("error-summary") is None


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda c: c.__name__)
def test_errors_are_tied_to_their_field_and_summed_up_at_the_top(form_class):
    form = _failed(form_class)

    page = parse(FORM_PAGE.render(Context({"form": form})))

    summary = page.by_id("error-summary")
    assert summary is not None
    assert summary.attrs.get("tabindex") == "-1"
    assert "autofocus" in summary.attrs
    assert summary.attrs.get("role") == "alert"
    assert len([e for e in page.iter() if "autofocus" in e.attrs]) == 1
    assert "The whole form is wrong." in summary.text()
    targets = {a.attrs["href"][1:] for a in summary.find_all("a")}
    for control in _controls(page):
        assert control.attrs.get("aria-invalid") == "true", control.attrs
        described = [page.by_id(i) for i in control.attrs.get("aria-describedby", "").split()]
        assert described and all(described), control.attrs
        field_name = control.attrs["name"]
        for error in form.errors[field_name]:
            # As ``text()`` reads it: French puts a no-break space before a colon.
            error = " ".join(str(error).split())
            assert any(error in e.text() for e in described), (field_name, error)
            assert error in summary.text()
    linked = set()
    for target in targets:
        element = page.by_id(target)
        # A field's input; a group with no choice at all, its fieldset.
        assert element in _controls(page) or element.tag == "fieldset", f"#{target} is no field"
        name = element.attrs.get("name") or target.removeprefix("id_").removesuffix("-fieldset")
        linked.add(name)
    assert linked == {f.html_name for f in form.visible_fields() if f.errors}


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda c: c.__name__)
def test_personal_fields_tell_the_browser_what_they_hold(form_class):
    form = _bound(form_class, None)
    about_someone_else = getattr(form_class, "about_someone_else", False)

    for name, field in form.fields.items():
        expected = set(AUTOCOMPLETE_BY_NAME.get(name, set()))
        for widget_class, tokens in AUTOCOMPLETE_BY_WIDGET.items():
            if isinstance(field.widget, widget_class):
                expected |= tokens
        if not expected:
            continue
        token = field.widget.attrs.get("autocomplete")
        if about_someone_else:
            # Staff type someone else's data: their own must not be offered.
            assert token == "off", f"{form_class.__name__}.{name}: {token!r}"
        else:
            assert token in expected, f"{form_class.__name__}.{name}: {token!r} not in {expected}"


# --- The templates ----------------------------------------------------------------------

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
# Forms drawn through field.html whose errors never come back on the same page.
NO_SUMMARY = {
    "accounts/me.html": "the language is chosen from a list: nothing to get wrong",
    "accounts/verify.html": "a wrong code comes back as a message, on a redirect",
}
_TAG = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)


def _page_templates() -> list[Path]:
    return sorted(p for p in TEMPLATES_DIR.rglob("*.html") if "<form" in p.read_text())


@pytest.mark.parametrize("path", _page_templates(), ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_hand_written_fields_have_a_label_and_no_placeholder(path):
    source = path.read_text()

    assert "placeholder" not in source
    for tag, attrs in _TAG.findall(source):
        if re.search(r'type="(hidden|submit|button)"', attrs):
            continue
        ident = re.search(r'\bid="([^"]+)"', attrs)
        assert ident, f"<{tag}{attrs}> has no id for its label"
        assert f'for="{ident.group(1)}"' in source, f"no <label for> for #{ident.group(1)}"


@pytest.mark.parametrize("path", _page_templates(), ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_forms_drawn_by_field_html_have_the_error_summary(path):
    source = path.read_text()
    name = str(path.relative_to(TEMPLATES_DIR))
    if "includes/field.html" not in source or name in NO_SUMMARY:
        return

    assert "includes/form_errors.html" in source
    assert source.index("includes/form_errors.html") < source.index("includes/field.html")
