"""Small template helpers: status badges, role names, move labels."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

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
