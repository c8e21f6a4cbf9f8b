"""Small template helpers: status badges, role names, move labels, form fields."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from accounts.backends import group_names
from registrants import presenters
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER

register = template.Library()

ROLE_LABELS = {ORGANISER: "Organiser", CHECKIN_STAFF: "Check-in staff", VIEWER: "Viewer"}


@register.simple_tag
def status_badge(status: str) -> str:
    """A status as a coloured badge. Written here rather than through an
    inclusion template: pages show one per row (a history, a list), and a
    template render per badge was a tenth of the registrant page's time. The
    line break is the old template's last character, kept so that pages stay
    byte for byte the same."""
    return format_html(
        '<span class="status status--{}">{}</span>\n',
        status or "new",
        presenters.status_label(status),
    )


@register.filter
def status_label(status: str) -> str:
    return presenters.status_label(status)


@register.filter
def actor_name(user) -> str:
    """How a person is named on screens; "system" for no one."""
    return presenters.actor_display_name(user)


@register.filter
def guest_type_label(value: str) -> str:
    return presenters.guest_type_label(value)


@register.simple_tag
def role_label(user) -> str:
    if user.is_superuser:
        return "Administrator"
    names = [ROLE_LABELS.get(name, name) for name in group_names(user)]
    return ", ".join(names) or "No role"


@register.simple_tag
def form_field(field: BoundField) -> str:
    """A form field with its label, help and errors: the markup of the
    former partials/field.html, written in Python (an include per field was
    a fifth of the registrant page's rendering). Line for line what the
    template wrote, empty lines' indentation included, so that pages stay
    byte for byte the same (dashboard/tests/test_form_field.py)."""
    label_for = conditional_escape(field.id_for_label)
    errors = field.errors
    help_text = (
        f'<p class="help" id="{label_for}_help">{conditional_escape(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    error_lines = "".join(
        f'<p class="field__error" role="alert">{conditional_escape(str(e))}</p>' for e in errors
    )
    return mark_safe(  # noqa: S308  (every part is escaped)
        f'<div class="field{" field--error" if errors else ""}">\n'
        f'  <label for="{label_for}">{conditional_escape(field.label)}</label>\n'
        f"  {conditional_escape(str(field))}\n"
        f"  {help_text}\n"
        f"  {error_lines}\n"
        "</div>\n"
    )
