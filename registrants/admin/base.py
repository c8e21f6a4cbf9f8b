"""What every model admin here shares: writes through the services, and a
refusal shown as an error message instead of a 500."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from ..errors import ApplicationError


class ServiceRefused(Exception):
    """A service refused a write the form had already accepted (a race).

    Raised out of save_model/delete_model so that the admin's own
    transaction rolls back (no log entry, no half-save), then turned into an
    error message by ServiceAdmin.
    """

    def __init__(self, error: ApplicationError) -> None:
        super().__init__(error.message)
        self.error = error


class ServiceAdmin(admin.ModelAdmin):
    """Shows a service refusal as an error message instead of a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, refused.error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, refused.error.message, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    # Django's bulk delete calls delete_queryset, not delete_model; a model
    # keeps it only when its delete_queryset goes through the service.
    bulk_delete = False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.bulk_delete:
            actions.pop("delete_selected", None)
        return actions

    def _deletion_summary(self, obj, request, refusal: str | None):
        """A cheap delete confirmation: Django's default lists every related
        row (thousands of registrants for a real event)."""
        protected = [refusal] if refusal else []
        model_count = {self.opts.verbose_name_plural: 1}
        return [str(obj)], model_count, set(), protected


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except ApplicationError as error:
        raise ServiceRefused(error) from error


class ReadOnlyAdminMixin:
    """History is append-only: its admin (and its inline) add, change and
    delete nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
