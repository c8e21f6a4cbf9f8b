"""The registrants' admin: details through the services, status changes as
actions (status_actions), the history inline and read-only."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from .. import lifecycle, services
from ..lifecycle import Kind, Status
from ..models import Company, Registrant, Source, StatusChange
from ..permissions import P_CHANGE_ANY_STATUS, P_VIEW_CODE, role_kinds
from ..presenters import action_label
from .base import ReadOnlyAdminMixin, ServiceAdmin, _call
from .status_actions import _make_status_action, _names, status_action_specs


class LargestCompanyFilter(admin.SimpleListFilter):
    """Companies, largest first: hundreds of companies do not fit a sidebar.

    The sidebar lists the largest ones (of the selected event, if any); any
    company id works in the URL (the registrant counts on the company list
    link here), and search matches company names too.
    """

    title = "company (largest)"
    parameter_name = "company"
    shown = 15

    def lookups(self, request, model_admin):
        registrants = Registrant.objects.exclude(company=None)
        event_id = request.GET.get("event__id__exact")
        if event_id and event_id.isdigit():
            registrants = registrants.filter(event_id=event_id)
        top = list(
            registrants.values("company_id", "company__name")
            .annotate(n=Count("id"))
            .order_by("-n", "company__name")[: self.shown]
        )
        choices = [(str(row["company_id"]), f"{row['company__name']} ({row['n']})") for row in top]
        chosen = self.value()
        if chosen and chosen.isdigit() and chosen not in {c[0] for c in choices}:
            company = Company.objects.filter(pk=chosen).first()
            if company:
                choices.append((chosen, company.name))
        choices.append(("none", "(no company)"))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(company=None)
        if value and value.isdigit():
            return queryset.filter(company_id=value)
        if value:
            return queryset.none()
        return queryset


class StatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The history of one registrant, read-only: it is append-only."""

    model = StatusChange
    fk_name = "registrant"
    fields = ("at", "from_status", "to_status", "actor", "source", "note")
    readonly_fields = fields
    ordering = ["id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    verbose_name = "status change"
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RegistrantAdminForm(forms.ModelForm):
    class Meta:
        model = Registrant
        fields = ["event", "name", "email", "company", "guest_type"]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data  # the stub allows None
        event = cleaned.get("event")
        if self.instance.pk is None and event is not None:
            taken = services.seats_held(event_id=event.pk)
            if taken >= event.capacity:
                self.add_error(
                    "event",
                    f"The event is full: {taken} of {event.capacity} seats are taken.",
                )
        return cleaned


@admin.register(Registrant)
class RegistrantAdmin(ServiceAdmin):
    form = RegistrantAdminForm
    list_display = ["name", "email", "company", "event", "guest_type", "status"]
    list_filter = ["event", "status", "guest_type", LargestCompanyFilter]
    list_select_related = ["company", "event"]
    # Never the check-in code: it is a door key (viewers never see codes; docs/api.md).
    search_fields = ["name", "email", "company__name"]
    autocomplete_fields = ["company"]
    inlines = [StatusChangeInline]
    list_per_page = 100
    show_full_result_count = False
    bulk_delete = True

    def get_readonly_fields(self, request, obj=None):
        fields = ["status", "created_at", "updated_at"]
        if obj is not None:
            # Moving a registration to another event is not an edit (docs/api.md: PATCH may not change event).
            fields.insert(0, "event")
            if obj.erased_at is not None:
                fields.append("erased_at")  # and never its code: nobody may scan it
            elif request.user.has_perm(P_VIEW_CODE):
                fields.append("check_in_code")
        return fields

    def get_fields(self, request, obj=None):
        fields = ["event", "name", "email", "company", "guest_type"]
        if obj is not None:
            fields += [f for f in self.get_readonly_fields(request, obj) if f not in fields]
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    # -- permissions of the status actions (see KIND_PERMISSION) --

    def has_move_forward_permission(self, request) -> bool:
        return Kind.FORWARD in role_kinds(request.user)

    def has_change_any_status_permission(self, request) -> bool:
        return request.user.has_perm(P_CHANGE_ANY_STATUS)

    # -- writes through the services --

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            editable = ("name", "email", "guest_type")
            kwargs: dict[str, Any] = {f: data[f] for f in editable if f in form.changed_data}
            if "company" in form.changed_data:
                kwargs["company_id"] = data["company"].pk if data["company"] else None
            if not kwargs:
                return
            saved = _call(
                services.registrant_update, registrant_id=obj.pk, actor=request.user, **kwargs
            )
        else:
            saved = _call(
                services.registrant_register,
                event_id=data["event"].pk,
                name=data["name"],
                email=data["email"],
                guest_type=data["guest_type"],
                company_id=data["company"].pk if data["company"] else None,
                actor=request.user,
                source=Source.ADMIN,
            )
        for field in ("pk", "name", "email", "status", "check_in_code", "created_at", "updated_at"):
            setattr(obj, field, getattr(saved, field))
        obj._state.adding = False

    def has_change_permission(self, request, obj=None):
        # An erased registrant is shown read-only: nothing of it may change.
        if obj is not None and obj.erased_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # Deleting erases the person and deletes nothing (registrants/erasure.py):
        # the confirmation lists the registrants only, never their history,
        # which is kept and which nobody may delete (StatusChangeAdmin).
        objs = list(objs)
        return [str(obj) for obj in objs], {self.opts.verbose_name_plural: len(objs)}, set(), []

    def delete_model(self, request, obj):
        _call(services.registrant_delete, registrant_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        services.registrants_delete(
            registrant_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )

    # -- status actions --

    def change_status(self, request, queryset, to: Status, kind: Kind) -> None:
        rows = dict(queryset.values_list("pk", "status"))
        names = dict(queryset.values_list("pk", "name"))
        label = action_label(to, kind)
        # A row whose move to `to` is another kind (undo vs reinstate) is not
        # what the organiser asked for; it is refused here, by name.
        other_kind = {
            pk: lifecycle.kind_of(status, to)
            for pk, status in rows.items()
            if status != to and lifecycle.kind_of(status, to) not in (None, kind)
        }
        allowed = frozenset({kind}) & role_kinds(request.user)
        results = services.registrants_bulk_change_status(
            registrant_ids=[pk for pk in rows if pk not in other_kind],
            to_status=to,
            actor=request.user,
            source=Source.ADMIN,
            allowed_kinds=allowed,
        )
        changed = [r for r in results if r.ok and r.changed]
        unchanged = [r for r in results if r.ok and not r.changed]
        refusals: dict[str, list[str]] = defaultdict(list)
        for result in results:
            if not result.ok:
                refusals[result.message].append(names[result.registrant_id])
        for pk, other in other_kind.items():
            other_label = action_label(to, other) if other else ""
            reason = (
                f'{rows[pk]} to {to} is not "{label}"; use the "{other_label}" action for these.'
            )
            refusals[reason].append(names[pk])
        if changed:
            self.message_user(
                request,
                f"{label}: {len(changed)} changed to {to.label.lower()}.",
                messages.SUCCESS,
            )
        if unchanged:
            self.message_user(
                request,
                f"{label}: {len(unchanged)} already {to.label.lower()}, unchanged.",
                messages.INFO,
            )
        for reason, who in refusals.items():
            self.message_user(
                request,
                f"{label}: {len(who)} refused ({reason}): {_names(who)}",
                messages.ERROR,
            )


for _name, _to, _kind in status_action_specs():
    setattr(RegistrantAdmin, _name, _make_status_action(_name, _to, _kind))
# The stub declares actions over ModelAdmin's model parameter, which a class
# attribute set from outside cannot name.
RegistrantAdmin.actions = [name for name, _, _ in status_action_specs()]  # type: ignore[misc]
