"""The desk's walk-in form on every rendering of the desk page."""

from __future__ import annotations

from django import template

from ..forms import RegistrantEditForm

register = template.Library()


@register.simple_tag
def walkin_form_or_blank(form=None):
    """The bound form of a refused walk-in, or an empty one (a missing
    template variable arrives as "", not None)."""
    if isinstance(form, RegistrantEditForm):
        return form
    return RegistrantEditForm(auto_id="walkin-%s")
