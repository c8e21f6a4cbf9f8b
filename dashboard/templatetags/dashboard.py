"""Small template helpers: status badges, role names, move labels."""

from __future__ import annotations

from django import template

from registrants.lifecycle import Kind, Status, kind_of_change
from registrants.models import GuestType
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER

from ..presenters import transition_label as _transition_label

register = template.Library()

ROLE_LABELS = {ORGANISER: "Organiser", CHECKIN_STAFF: "Check-in staff", VIEWER: "Viewer"}


@register.inclusion_tag("dashboard/partials/status_badge.html")
def status_badge(status: str):
    return {"status": status, "label": Status(status).label if status else "New"}


@register.filter
def status_label(status: str) -> str:
    return Status(status).label if status in Status.values else "New"


@register.filter
def guest_type_label(value: str) -> str:
    return GuestType(value).label if value in GuestType.values else value


@register.filter
def is_correction(change) -> bool:
    """Whether a history row is a correction (shown as such on the timeline)."""
    return kind_of_change(change.from_status, change.to_status) == Kind.CORRECTION


@register.simple_tag
def transition_label(from_status: str, to_status: str) -> str:
    return _transition_label(from_status, to_status)


@register.simple_tag
def role_label(user) -> str:
    if user.is_superuser:
        return "Administrator"
    names = [ROLE_LABELS.get(g.name, g.name) for g in user.groups.all()]
    return ", ".join(names) or "No role"
