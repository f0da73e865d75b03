"""``|fr``, ``|ltr`` and ``{% fr_attrs %}`` (``core.data_language``), built into
every template (``TEMPLATES["OPTIONS"]["builtins"]``):

    {{ procedure.name|fr }}          a name, address, description or access note
    {% blocktranslate with name=site.name|fr %}…{% endblocktranslate %}
    {{ appointment.reference|ltr }}  a reference (Latin letters and digits)
    <option value="…"{% fr_attrs %}>{{ site.name }}</option>   an element all in French

For text only: an attribute or ``<title>`` cannot hold a tag (``fr_attrs``
marks a whole element instead).
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join

from core.data_language import french, french_attrs, left_to_right

register = template.Library()


@register.filter(is_safe=True)
def fr(value):
    """``value``, written by the prefecture in French, marked as such in a page
    of another language (and left to right in a right-to-left one)."""
    return french(value)


@register.filter(is_safe=True)
def ltr(value):
    """``value`` (a reference, a code) marked left to right in a right-to-left page."""
    return left_to_right(value)


@register.simple_tag
def fr_attrs():
    """`` lang="fr"`` (and `` dir="ltr"`` right to left) where the page is not French."""
    return format_html_join("", ' {}="{}"', french_attrs().items())
