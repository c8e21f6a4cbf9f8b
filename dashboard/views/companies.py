"""The companies page: every company with its registrants, the likely
duplicates that the normalisation rules cannot decide, and their merge.

Organisers only: a merge moves registrants and deletes a company. The merge
is the API's own service (POST /api/v1/companies/{id}/merge/ calls it too).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from registrants import selectors, services
from registrants.company_duplicates import likely_duplicate_companies
from registrants.errors import ApplicationError
from registrants.filters import MAX_ID
from registrants.models import Company, Registrant
from registrants.pages import no_store, require_perms
from registrants.permissions import P_CHANGE_COMPANY, P_DELETE_COMPANY, P_VIEW_COMPANY

PAGE_SIZE = 100


class MergeForm(forms.Form):
    source = forms.IntegerField(min_value=1, max_value=MAX_ID)
    into = forms.IntegerField(min_value=1, max_value=MAX_ID)


@require_GET
@require_perms(P_VIEW_COMPANY, P_CHANGE_COMPANY, P_DELETE_COMPANY)
def company_list(request):
    page = Paginator(selectors.company_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return no_store(
        render(
            request,
            "dashboard/companies.html",
            {"page": page, "duplicates": likely_duplicate_companies()},
        )
    )


@require_POST
@require_perms(P_VIEW_COMPANY, P_CHANGE_COMPANY, P_DELETE_COMPANY)
def company_merge(request):
    """Merge one company into another, then back to the page with a notice
    that says what happened (or why nothing did)."""
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was merged: choose two companies from the list.")
        return redirect("dashboard:companies")
    source_id, into_id = form.cleaned_data["source"], form.cleaned_data["into"]
    names = dict(Company.objects.filter(pk__in=[source_id, into_id]).values_list("pk", "name"))
    count = Registrant.objects.filter(company_id=source_id).count()
    try:
        into = services.company_merge(source_id=source_id, into_id=into_id)
    except ApplicationError as exc:
        # A stale page (the company was merged or deleted meanwhile) lands here.
        messages.error(request, f"Nothing was merged: {exc.message}")
        return redirect("dashboard:companies")
    messages.success(
        request,
        f'Merged "{names.get(source_id, "")}" into "{into.name}": '
        f"{count} registrant{'' if count == 1 else 's'} moved, their history unchanged.",
    )
    return redirect("dashboard:companies")
