"""Per-event badge settings. An event without a row prints on the default
layout; the row is created the first time an organiser chooses one."""

from __future__ import annotations

from django.db import models

from registrants.models import Event

from .layouts import DEFAULT_LAYOUT, LayoutName


class BadgeSettings(models.Model):
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="badge_settings")
    layout = models.CharField(max_length=16, choices=LayoutName.choices, default=DEFAULT_LAYOUT)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "badge settings"

    def __str__(self) -> str:
        return f"Badges of {self.event}"
