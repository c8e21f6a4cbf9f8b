"""Organisers create and revoke scanner tokens in the admin.

Organisers (who may change events) manage devices; the key is shown once,
in the message after saving. Revoking goes through the service, so the
gateway's token cache forgets the token at once. Conflicts are read-only;
organisers delete (clear) them once reviewed, as on the event's page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from . import services
from .models import DeviceToken, ScanConflict

P_MANAGE = "registrants.change_event"


class OrganiserOnly:
    def has_module_permission(self, request):
        return request.user.has_perm(P_MANAGE)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(P_MANAGE)


@admin.register(DeviceToken)
class DeviceTokenAdmin(OrganiserOnly, admin.ModelAdmin):
    list_display = ("name", "event", "key_prefix", "created_at", "revoked_at")
    list_filter = ("event",)
    fields = ("event", "name", "key_prefix", "user", "created_by", "created_at", "revoked_at")
    readonly_fields = ("key_prefix", "user", "created_by", "created_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "event", "name") if obj else self.readonly_fields

    def has_add_permission(self, request):
        return request.user.has_perm(P_MANAGE)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(P_MANAGE)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the service user stays the actor of its history

    def save_model(self, request, obj, form, change):
        if change:
            return
        device, key = services.device_create(
            event_id=obj.event_id, name=obj.name, created_by=request.user
        )
        obj.pk = device.pk
        obj.__dict__.update(device.__dict__)
        self.message_user(
            request,
            f"Device key (shown once, copy it into the scanner now): {key}",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected device tokens")
    def revoke(self, request, queryset):
        count = 0
        for device in queryset.filter(revoked_at__isnull=True):
            services.device_revoke(device_id=device.pk)
            count += 1
        self.message_user(request, f"{count} device token(s) revoked at {timezone.now():%H:%M}.")


@admin.register(ScanConflict)
class ScanConflictAdmin(OrganiserOnly, admin.ModelAdmin):
    list_display = ("received_at", "event", "reason", "mode", "registrant", "device", "scanned_at")
    list_filter = ("reason", "event")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(P_MANAGE)  # clearing reviewed conflicts
