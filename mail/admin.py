"""The message log in the admin's back room: read-only (the log is what
happened; the pages and services are where messages are made)."""

from django.contrib import admin

from registrants.admin.base import ReadOnlyAdminMixin

from .models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "event", "registrant_id", "kind", "status", "attempts", "created_at")
    list_filter = ("kind", "status")
    list_select_related = ("event",)
    search_fields = ("=registrant__id",)
    exclude = ("body_html",)
    show_full_result_count = False
