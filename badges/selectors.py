"""What badges show, read from the domain. Only views that have checked
the caller may see check-in codes call these."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from registrants.lifecycle import Status
from registrants.models import Event, GuestType, Registrant

from .layouts import DEFAULT_LAYOUT, LAYOUTS, Layout
from .models import BadgeSettings
from .render import BadgeData
from .sheet import SheetRow, sort_key


def layout_for(event: Event) -> Layout:
    """The event's chosen layout, or the default if none was chosen."""
    chosen = BadgeSettings.objects.filter(event=event).values_list("layout", flat=True).first()
    return LAYOUTS.get(chosen or DEFAULT_LAYOUT, LAYOUTS[DEFAULT_LAYOUT])


def badge_for(registrant: Registrant) -> BadgeData:
    """One registrant's badge (its event and company already loaded or cheap)."""
    event = registrant.event
    return BadgeData(
        name=registrant.name,
        company=registrant.company.name if registrant.company is not None else "",
        guest_type=registrant.guest_type,
        guest_type_label=GuestType(registrant.guest_type).label
        if registrant.guest_type in GuestType.values
        else registrant.guest_type,
        event_name=event.name,
        event_date=f"{event.date:%d %b %Y}",
        code=registrant.check_in_code,
    )


def printable(queryset: QuerySet[Registrant], *, include_cancelled: bool) -> QuerySet[Registrant]:
    """The registrants of a batch: never the erased (their code is a secret
    nobody may print), cancelled ones only when asked for (a list filtered
    on them), in name order, with what a badge shows."""
    queryset = queryset.filter(erased_at__isnull=True)
    if not include_cancelled:
        queryset = queryset.exclude(status=Status.CANCELLED)
    return queryset.select_related("event", "company").order_by("name", "id")


def badges_for(queryset: QuerySet[Registrant]) -> Iterator[BadgeData]:
    """Badges for a queryset from printable(), read in chunks."""
    for registrant in queryset.iterator(chunk_size=500):
        yield badge_for(registrant)


def sheet_rows(event: Event) -> list[SheetRow]:
    """The check-in sheet's rows: everyone of the event but the cancelled and
    the erased, alphabetical (see sheet.sort_key)."""
    queryset = (
        Registrant.objects.filter(event_id=event.pk, erased_at__isnull=True)
        .exclude(status=Status.CANCELLED)
        .select_related("company")
        .only("name", "company__name", "guest_type", "status", "check_in_code")
    )
    rows = [
        SheetRow(
            name=r.name,
            company=r.company.name if r.company is not None else "",
            guest_type=GuestType(r.guest_type).label
            if r.guest_type in GuestType.values
            else r.guest_type,
            status=Status(r.status).label,
            code=r.check_in_code,
        )
        for r in queryset.iterator(chunk_size=1000)
    ]
    rows.sort(key=lambda row: sort_key(row.name))
    return rows
