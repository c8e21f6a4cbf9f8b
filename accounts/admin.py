"""API tokens in the admin: the key is shown once, after saving; users can be
deactivated in bulk with their tokens refused from the next request."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from . import generation, tokens
from .forms import ThrottledAdminAuthenticationForm
from .models import ApiToken
from .signals import access_changed

User = get_user_model()
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_prefix", "user", "created_at")
    search_fields = ("user__username", "key_prefix")
    autocomplete_fields = ("user",)
    fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False  # a token is created or deleted, never edited

    def save_model(self, request, obj, form, change):
        key = tokens.new_key()
        for field, value in tokens.key_fields(key).items():
            setattr(obj, field, value)
        super().save_model(request, obj, form, change)
        messages.warning(
            request, f"The token's key, shown only now (copy it; it is not stored): {key}"
        )


@admin.action(description="Deactivate the selected users (their API tokens stop at once)")
def deactivate_users(modeladmin, request, queryset):
    with transaction.atomic():
        user_ids = list(queryset.values_list("pk", flat=True))
        count = queryset.update(is_active=False)
        # update() sends no signal
        generation.bump()
        access_changed.send(sender=User, user_ids=user_ids)
    modeladmin.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)


admin.site.unregister(User)


@admin.register(User)
class CredentialsUserAdmin(UserAdmin):
    actions = [deactivate_users]
