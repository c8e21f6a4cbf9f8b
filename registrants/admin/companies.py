"""The companies' admin: create, rename, delete and merge through the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from .. import services
from ..errors import ApplicationError
from ..models import Company, Registrant
from ..normalization import normalize_company_name
from .base import ServiceAdmin, _call

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _CompanyCounts(TypedDict):
        _registrants: int


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
