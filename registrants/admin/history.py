"""The status history's admin: append-only, so viewable only."""

from __future__ import annotations

from django.contrib import admin

from ..models import StatusChange
from .base import ReadOnlyAdminMixin


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only history: viewable, never added, edited or deleted here."""

    list_display = ["at", "registrant", "event", "from_status", "to_status", "actor", "source"]
    list_filter = ["source", "to_status", "event"]
    list_select_related = ["registrant", "event", "actor"]
    search_fields = ["registrant__name", "registrant__email", "note"]
    ordering = ["-id"]
    list_per_page = 100
    show_full_result_count = False
