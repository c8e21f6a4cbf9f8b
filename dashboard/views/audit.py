"""The audit log page: organiser actions that touched personal data, newest
first, filtered by event, action and registrant (the same rows as GET
/api/v1/audit/). Organisers only; the rows hold no personal data."""

from __future__ import annotations

import datetime

from django import forms
from django.core.paginator import Paginator
from django.views.decorators.http import require_GET

from audit.models import Action
from audit.selectors import audit_entries
from registrants.filters import MAX_ID
from registrants.models import Event
from registrants.pages import render_page, require_perms
from registrants.permissions import ORGANISER_PERMISSION, P_VIEW_REGISTRANT

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    event = forms.ModelChoiceField(queryset=Event.objects.order_by("-date"), required=False)
    action = forms.ChoiceField(choices=[("", "Any action"), *Action.choices], required=False)
    registrant = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Until (included)"
    )


def _day_start(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


@require_GET
@require_perms(P_VIEW_REGISTRANT, ORGANISER_PERMISSION)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    status = 200
    rows = audit_entries().none()
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        v = form.cleaned_data if form.is_bound else {}
        until = v.get("until")
        rows = audit_entries(
            event_id=v["event"].pk if v.get("event") else None,
            registrant_id=v.get("registrant"),
            action=v.get("action") or None,
            since=_day_start(v.get("since")),
            until=_day_start(until + datetime.timedelta(days=1)) if until else None,
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "dashboard/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=status,
    )
