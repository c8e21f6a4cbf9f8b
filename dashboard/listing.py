"""The registrant list's state: filters, chip counts, ordering and paging.

The filters are the API's own RegistrantFilter (django-filter), so the page
and /api/v1/registrants/ agree on what "status=a,b&search=x" means. Invalid
values are reported on the page and ignored, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from registrants import keyset, presenters, selectors
from registrants.counters import reads as counter_reads
from registrants.event_companies import first_company_ids
from registrants.filters import ORDERING_ALIASES, RegistrantFilter, in_event, parse_ordering
from registrants.lifecycle import NOTE_REQUIRED, Kind, Status
from registrants.models import Company, Event, GuestType, Registrant
from registrants.permissions import registrant_targets

from .presenters import STATUS_COLOURS

PAGE_SIZE = 50
# The filters besides the status: with one of them, the list is counted only
# on request.
NARROWING = (
    "search",
    "guest_type",
    "company",
    "created_after",
    "created_before",
    "status_at",
    "at",
)
# More companies than this in an event, and the company menu holds only the
# chosen one: 20,000 options made a 3-second page (the search matches
# company names too).
MAX_COMPANY_OPTIONS = 200
DEFAULT_ORDERING = "name"
SEARCH_ORDERING = ""  # newest first
COLUMNS = [
    ("name", "Name"),
    ("email", "Email"),
    ("company", "Company"),
    ("guest_type", "Guest type"),
    ("status", "Status"),
    ("created_at", "Registered"),
]


@dataclass
class Row:
    registrant: Registrant
    actions: list[tuple[str, str]] = field(default_factory=list)  # (to_status, label)
    duplicate: bool = False


@dataclass
class Listing:
    event: Event
    rows: list[Row]
    chips: list[dict[str, Any]]
    ordering: str
    columns: list[dict[str, Any]]
    selected: dict[str, Any]
    ordering_param: str  # empty for the default, so that it stays out of URLs
    companies: list[Company]
    guest_types: list[tuple[str, str]]
    errors: list[str]
    # Exact only on request (`count=1`): counting every match costs as much
    # as reading them all (docs/api.md, "Pages and counts"). None: not counted.
    total: int | None
    next_cursor: str = ""
    previous_cursor: str = ""


def _event_filter(event: Event, data: QueryDict) -> RegistrantFilter:
    data = data.copy()
    data.pop("event", None)
    return RegistrantFilter(data=data, queryset=in_event(selectors.registrant_list(), event.pk))


def _default_ordering(params: QueryDict) -> str:
    """By name; a search's matches newest first ("": keyset.Order()), which
    an index serves whatever the term (registrants/keyset.py)."""
    return SEARCH_ORDERING if (params.get("search") or "").strip() else DEFAULT_ORDERING


def _order(ordering: str) -> keyset.Order:
    """ "name", "-name"...; "" is newest first."""
    if not ordering:
        return keyset.Order()
    return keyset.Order(ordering.lstrip("-"), ordering.startswith("-"))


def _ordering(params: QueryDict, errors: list[str]) -> str:
    raw, default = params.get("ordering"), _default_ordering(params)
    if not raw:
        return default
    parsed = parse_ordering(raw)
    if parsed is not None:
        name, desc = parsed
        return f"-{name}" if desc else name
    errors.append(f'Cannot sort by "{raw}"; sorted by the list\'s default instead.')
    return default


def build_listing(*, event: Event, params: QueryDict, user, kinds: frozenset[Kind]) -> Listing:
    errors: list[str] = []
    filterset = _event_filter(event, params)
    if not filterset.is_valid():
        for name, problems in filterset.errors.items():
            errors += [f"{name}: {problem} This filter was ignored." for problem in problems]
    ordering = _ordering(params, errors)
    order = _order(ordering)
    page = keyset.page(
        _with_twins(filterset.qs),
        order=order,
        size=PAGE_SIZE,
        position=_position(params.get("cursor"), order, errors),
        event_id=event.pk,
        search=bool((params.get("search") or "").strip()),
    )
    rows = [
        Row(registrant=r, actions=row_actions(user, r, kinds), duplicate=r.email_twice)
        for r in page.rows
    ]

    counts = _counts(event, params)
    counted = bool(counts)
    cleaned = filterset.form.cleaned_data if hasattr(filterset.form, "cleaned_data") else {}
    chosen_statuses = set(cleaned.get("status") or [])
    chips = [
        {
            "value": s.value,
            "label": s.label,
            "count": counts.get(s.value),
            "checked": s.value in chosen_statuses,
            "colour": STATUS_COLOURS[s],
        }
        for s in Status
    ]
    columns = []
    for key, label in COLUMNS:
        sortable = key in ORDERING_ALIASES
        current = ordering.lstrip("-") == key
        descending = ordering.startswith("-")
        columns.append(
            {
                "key": key,
                "label": label,
                "sortable": sortable,
                "current": current,
                "aria_sort": ("descending" if descending else "ascending") if current else "",
                "next": f"-{key}" if current and not descending else key,
            }
        )
    company = cleaned.get("company")
    chosen = chosen_statuses or set(Status.values)
    return Listing(
        event=event,
        rows=rows,
        chips=chips,
        ordering=ordering,
        columns=columns,
        ordering_param="" if ordering == _default_ordering(params) else ordering,
        selected={
            "search": params.get("search", ""),
            "guest_type": (cleaned.get("guest_type") or [""])[0],
            "company": company,
            # The list as of a past moment (the dashboard's "as of" links):
            # kept as sent, so the filter form carries it on.
            "status_at": [Status(v).label for v in cleaned.get("status_at") or []],
            "status_at_raw": params.getlist("status_at"),
            "at": cleaned.get("at"),
            "at_raw": params.get("at", ""),
        },
        companies=company_options(event, company),
        guest_types=list(GuestType.choices),
        errors=errors,
        total=sum(counts[s] for s in chosen) if counted else None,
        next_cursor=keyset.encode(page.next) if page.next else "",
        previous_cursor=keyset.encode(page.previous) if page.previous else "",
    )


def company_options(event: Event, chosen: int | None) -> list[Company]:
    """The company menu: the event's companies by name, or only the chosen
    one when the event has more than MAX_COMPANY_OPTIONS (the first ones by
    id, read off the (event, company) index, tell)."""
    ids = first_company_ids(event.pk, MAX_COMPANY_OPTIONS + 1)
    if len(ids) > MAX_COMPANY_OPTIONS:
        ids = [chosen] if chosen else []
    return list(Company.objects.filter(pk__in=ids).order_by("name"))


def _position(raw: str | None, order: keyset.Order, errors: list[str]) -> keyset.Position | None:
    """The page's position; a cursor this list did not hand out is reported
    and the list starts from its first page."""
    if not raw:
        return None
    try:
        return keyset.decode(raw, order)
    except keyset.BadCursor:
        errors.append("That page link is not valid for this list; showing its first page.")
        return None


def matching_ids(*, event: Event, params: QueryDict) -> tuple[list[int], list[str]]:
    """Ids of every registrant the list shows under these filters (all pages,
    in list order), and the filter errors; with errors, no ids: a bulk action
    must never run over a wider set than the one the user saw."""
    filterset = _event_filter(event, params)
    if not filterset.is_valid():
        problems = [f"{name}: {p}" for name, ps in filterset.errors.items() for p in ps]
        return [], problems
    ordering = _ordering(params, [])
    if not ordering:
        return list(filterset.qs.order_by("-id").values_list("pk", flat=True)), []
    order_field = ("-" if ordering.startswith("-") else "") + ORDERING_ALIASES[ordering.lstrip("-")]
    return list(filterset.qs.order_by(order_field, "id").values_list("pk", flat=True)), []


def _counts(event: Event, params: QueryDict) -> dict[str, int]:
    """The chips' counts: the event's own per-status numbers when nothing but
    the status narrows the list (the dashboard's numbers, one read whatever
    the event's size), the matches' only on request (`count=1`); else none."""
    if params.get("count") == "1":
        return chip_counts(event=event, params=params)
    if any(params.get(name) for name in NARROWING):
        return {}
    return counter_reads.status_counts(event.pk)


def chip_counts(*, event: Event, params: QueryDict) -> dict[str, int]:
    """Registrants per status under every filter but status, so that each
    chip says what it would add. The live list re-reads these after changes."""
    without_status = params.copy()
    without_status.pop("status", None)
    without_status.pop("cursor", None)
    return _event_filter(event, without_status).qs.aggregate(
        **{s.value: Count("id", filter=Q(status=s)) for s in Status}
    )


def row_actions(user, registrant: Registrant, kinds: frozenset[Kind]) -> list[tuple[str, str]]:
    """(to_status, label) of a row's buttons: the user's moves (none once the
    registrant is erased) but those that need a note (corrections), which
    are made on the registrant's page."""
    return [
        (t.value, presenters.move_label(registrant.status, t))
        for t in registrant_targets(user, registrant, kinds - NOTE_REQUIRED)
    ]


def row_for(registrant: Registrant, *, user, kinds: frozenset[Kind]) -> Row:
    """One list row, as build_listing makes it (the live list re-reads rows)."""
    return Row(
        registrant=registrant,
        actions=row_actions(user, registrant, kinds),
        duplicate=bool(_duplicate_emails(registrant.event, [registrant.email])),
    )


def _with_twins(queryset: QuerySet[Registrant]) -> QuerySet[Registrant]:
    """Each row's `email_twice`: another registration of its event has the
    same email. In the page's own query (one probe of the (event, email)
    index per row shown) rather than a query of its own after it."""
    twins = Registrant.objects.filter(
        event_id=OuterRef("event_id"), email=OuterRef("email")
    ).exclude(pk=OuterRef("pk"))
    return queryset.annotate(email_twice=Exists(twins))


def _duplicate_emails(event: Event, emails: list[str]) -> set[str]:
    """Emails on this page that more than one registration of the event uses."""
    if not emails:
        return set()
    return set(
        Registrant.objects.filter(event_id=event.pk, email__in=set(emails))
        .values("email")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("email", flat=True)
    )
