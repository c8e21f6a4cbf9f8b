"""The Django admin for organisers.

Every write goes through services.py, exactly as the API's do: the admin is
one more client of the domain, not a back door around it. Forms pre-check
the common refusals (a full event, a capacity below the seats taken, a
company name that is already taken) so that the organiser keeps what they
typed; the service still decides, under its locks, and a refusal it raises
after the form was valid (a race) is shown as an error message with nothing
saved.

Status changes are admin actions derived from lifecycle.TRANSITIONS; the
history (StatusChange) is read-only here for everyone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from . import lifecycle, services
from .api.views import role_kinds
from .errors import ApplicationError
from .lifecycle import Kind, Status
from .models import Company, Event, Registrant, Source, StatusChange
from .normalization import normalize_company_name

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _EventCounts(TypedDict):
        _seats_taken: int
        _registrants: int

    class _CompanyCounts(TypedDict):
        _registrants: int


admin.site.site_header = "Registrant Dashboard"
admin.site.site_title = "Registrant Dashboard admin"
admin.site.index_title = "Organiser administration"

# How many names a refusal message lists before it says "and N more".
NAMES_PER_MESSAGE = 10


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


# --- Events -----------------------------------------------------------------


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


# --- Companies --------------------------------------------------------------


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ["name"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        key = normalize_company_name(name or "")
        if not key:
            raise forms.ValidationError("A company name cannot be blank.")
        clash = Company.objects.filter(normalized_name=key).exclude(pk=self.instance.pk).first()
        if clash:
            raise forms.ValidationError(
                f'A company with this name already exists: "{clash.name}" '
                f"(names are compared ignoring case and spaces). "
                f"Use that company, or merge the two with the "
                f'"Merge selected companies" action.'
            )
        return name


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Company.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Company to keep",
    )

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.fields["keep"]
        assert isinstance(keep, forms.ModelChoiceField)
        keep.queryset = companies


@admin.register(Company)
class CompanyAdmin(ServiceAdmin):
    form = CompanyAdminForm
    list_display = ["name", "registrant_count", "created_at"]
    search_fields = ["name", "normalized_name"]
    readonly_fields = ["normalized_name", "created_at"]
    ordering = ["name", "id"]
    actions = ["merge_companies"]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_registrants=Count("registrants"))

    @admin.display(description="registrants", ordering="_registrants")
    def registrant_count(self, obj: WithAnnotations[Company, _CompanyCounts]):
        url = (
            reverse("admin:registrants_registrant_changelist")
            + "?"
            + urlencode({"company": obj.pk})
        )
        return format_html('<a href="{}">{}</a>', url, obj._registrants)

    def save_model(self, request, obj, form, change):
        if change:
            saved = _call(services.company_rename, company_id=obj.pk, name=obj.name)
        else:
            saved = _call(services.company_create, name=obj.name)
        obj.pk, obj.name, obj.normalized_name = saved.pk, saved.name, saved.normalized_name
        obj.created_at = saved.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        _call(services.company_delete, company_id=obj.pk)

    def get_deleted_objects(self, objs, request):
        (obj,) = objs
        count = Registrant.objects.filter(company_id=obj.pk).count()
        refusal = (
            f"{count} registrants belong to this company; merge it into another instead."
            if count
            else None
        )
        return self._deletion_summary(obj, request, refusal)

    @admin.action(description="Merge selected companies", permissions=["change", "delete"])
    def merge_companies(self, request, queryset):
        companies = queryset.annotate(registrant_total=Count("registrants")).order_by(
            "-registrant_total", "name", "id"
        )
        if len(companies) < 2:
            self.message_user(request, "Select at least two companies to merge.", messages.WARNING)
            return None
        if "apply" in request.POST:
            form = MergeForm(request.POST, companies=companies)
            if form.is_valid():
                return self._merge(request, form.cleaned_data["keep"], companies)
        else:
            form = MergeForm(companies=companies, initial={"keep": companies[0].pk})
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge companies",
            "opts": self.opts,
            "companies": companies,
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(
            request, "admin/registrants/company/merge_confirmation.html", context
        )

    def _merge(self, request, keep: Company, companies) -> None:
        merged, moved = [], 0
        for company in companies:
            if company.pk == keep.pk:
                continue
            try:
                services.company_merge(source_id=company.pk, into_id=keep.pk)
            except ApplicationError as error:
                self.message_user(request, f"{company.name}: {error.message}", messages.ERROR)
            else:
                merged.append(company.name)
                moved += company.registrant_total
        if merged:
            self.log_change(request, keep, f"Merged {', '.join(merged)} into this company.")
            self.message_user(
                request,
                f"Merged {len(merged)} {'company' if len(merged) == 1 else 'companies'} "
                f'({", ".join(merged)}) into "{keep.name}"; {moved} registrants moved.',
                messages.SUCCESS,
            )


# --- Registrants ------------------------------------------------------------


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


class StatusChangeInline(admin.TabularInline):
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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RegistrantAdminForm(forms.ModelForm):
    class Meta:
        model = Registrant
        fields = ["event", "name", "email", "company", "guest_type"]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data  # the stub allows None
        event = cleaned.get("event")
        if self.instance.pk is None and event is not None:
            taken = services.seats_taken(event_id=event.pk)
            if taken >= event.capacity:
                self.add_error(
                    "event",
                    f"The event is full: {taken} of {event.capacity} seats are taken.",
                )
        return cleaned


# The actions, one per (target status, kind) of the lifecycle table: the
# target "registered" is reached by an undo (from checked_in) and by a
# reinstate (from cancelled), two different decisions for the organiser.
ACTION_LABELS: dict[tuple[Status, Kind], str] = {
    (Status.CHECKED_IN, Kind.FORWARD): "Check in",
    (Status.ENTERED, Kind.FORWARD): "Mark entered",
    (Status.EXITED, Kind.FORWARD): "Mark exited",
    (Status.REGISTERED, Kind.UNDO): "Undo check-in → registered",
    (Status.CANCELLED, Kind.CANCEL): "Cancel",
    (Status.REGISTERED, Kind.REINSTATE): "Reinstate",
}
# The permission each kind of move needs (roles.py grants them).
KIND_PERMISSION: dict[Kind, str] = {
    Kind.FORWARD: "move_forward",
    Kind.UNDO: "change_any_status",
    Kind.CANCEL: "change_any_status",
    Kind.REINSTATE: "change_any_status",
}


def status_action_specs() -> list[tuple[str, Status, Kind]]:
    """(action name, target, kind) for every (target, kind) the table has,
    but those that need a note: an admin action has nowhere to write one, so
    corrections are made on the registrant's page or through the API."""
    specs: dict[tuple[Status, Kind], None] = {}
    for (_, to), kind in lifecycle.TRANSITIONS.items():
        if kind not in lifecycle.NOTE_REQUIRED:
            specs[(to, kind)] = None
    order = {s: i for i, s in enumerate(Status)}
    return [
        (f"status_{kind.value}_to_{to.value}", to, kind)
        for to, kind in sorted(specs, key=lambda p: (order[p[0]], list(Kind).index(p[1])))
    ]


def _action_label(to: Status, kind: Kind) -> str:
    return ACTION_LABELS.get((to, kind), f"{kind.value.capitalize()} → {to.label}")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_PER_MESSAGE])
    rest = len(names) - NAMES_PER_MESSAGE
    return f"{shown} and {rest} more" if rest > 0 else shown


def _make_status_action(name: str, to: Status, kind: Kind):
    def action(modeladmin: RegistrantAdmin, request, queryset):
        modeladmin.change_status(request, queryset, to, kind)

    action.__name__ = name
    return admin.action(description=_action_label(to, kind), permissions=[KIND_PERMISSION[kind]])(
        action
    )


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
            elif request.user.has_perm("registrants.view_check_in_code"):
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
        return request.user.has_perm("registrants.change_any_status")

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
        label = _action_label(to, kind)
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
            other_label = _action_label(to, other) if other else ""
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


# --- Status history ---------------------------------------------------------


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """Append-only history: viewable, never added, edited or deleted here."""

    list_display = ["at", "registrant", "event", "from_status", "to_status", "actor", "source"]
    list_filter = ["source", "to_status", "event"]
    list_select_related = ["registrant", "event", "actor"]
    search_fields = ["registrant__name", "registrant__email", "note"]
    ordering = ["-id"]
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
