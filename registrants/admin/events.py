"""The events' admin: edits through the event services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from .. import lifecycle, services
from ..models import Event, Registrant
from .base import ServiceAdmin, _call

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _EventCounts(TypedDict):
        _seats_taken: int
        _registrants: int


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["name", "date", "capacity"]

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and capacity < 1:
            raise forms.ValidationError("Capacity must be at least 1.")
        if self.instance.pk and capacity is not None and capacity != self.instance.capacity:
            taken = services.seats_taken(event_id=self.instance.pk)
            if capacity < taken:
                raise forms.ValidationError(
                    f"Capacity cannot go below the {taken} seats already taken."
                )
        return capacity


@admin.register(Event)
class EventAdmin(ServiceAdmin):
    form = EventAdminForm
    list_display = ["name", "date", "capacity", "seats_taken", "registrant_count"]
    list_filter = ["date"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date", "id"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _seats_taken=Count(
                    "registrants", filter=Q(registrants__status__in=lifecycle.SEAT_HOLDING)
                ),
                _registrants=Count("registrants"),
            )
        )

    @admin.display(description="seats taken", ordering="_seats_taken")
    def seats_taken(self, obj: WithAnnotations[Event, _EventCounts]) -> int:
        return obj._seats_taken

    @admin.display(description="registrations", ordering="_registrants")
    def registrant_count(self, obj: WithAnnotations[Event, _EventCounts]):
        url = (
            reverse("admin:registrants_registrant_changelist")
            + "?"
            + urlencode({"event__id__exact": obj.pk})
        )
        return format_html('<a href="{}">{}</a>', url, obj._registrants)

    def save_model(self, request, obj, form, change):
        if change:
            data = form.cleaned_data
            saved = _call(
                services.event_update,
                event_id=obj.pk,
                name=data["name"],
                date=data["date"],
                capacity=data["capacity"],
            )
        else:
            saved = _call(
                services.event_create, name=obj.name, date=obj.date, capacity=obj.capacity
            )
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        _call(services.event_delete, event_id=obj.pk)

    def get_deleted_objects(self, objs, request):
        (obj,) = objs
        count = Registrant.objects.filter(event_id=obj.pk).count()
        refusal = f"The event has {count} registrants; it cannot be deleted." if count else None
        return self._deletion_summary(obj, request, refusal)
