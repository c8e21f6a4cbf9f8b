"""Keyset pagination of the registrant list, for the API and the page alike.

A cursor is a position in the list's order, (sort value, id), never an
offset: a page is "the next N rows after this position", which costs the
same on page 1,000 as on page 1 (an index range scan from the position,
when an index serves the order), and a walk through every page meets each
row that existed when it started exactly once, whatever is inserted
meanwhile. Ties in the sort value are broken by the id, ascending.

One event's list is ordered by (event, sort value, id) and filtered on the
event as a range `event_id BETWEEN e AND e` (`filters.in_event`): with `event_id =
e`, PostgreSQL drops the event from the order and, believing the event's
rows spread evenly over the table, walks the primary key backwards past
every newer event's rows (0.2 s at 1,000,000 registrants); with the range,
only the indexes that start with the event ((event, id), (event, name),
...) give the order (docs/decisions/0195).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from . import selectors
from .filters import MAX_ID, fits_in_utc
from .filters import ORDERING_ALIASES as ORDER_FIELDS

MAX_VALUE_LENGTH = 300  # longer than any name, email or company name


class BadCursor(ValueError):
    """A cursor that this list did not hand out (or no longer understands)."""


@dataclass(frozen=True)
class Order:
    """The list's order: a public field name (None: newest first by id)."""

    name: str | None = None
    descending: bool = True

    @property
    def keys(self) -> list[tuple[str, bool]]:
        """(field, descending) from first to last key; ties by id ascending."""
        if self.name is None:
            return [("id", self.descending)]
        return [(ORDER_FIELDS[self.name], self.descending), ("id", False)]


@dataclass(frozen=True)
class Position:
    """A row's place in the order; `before` asks for the rows before it."""

    value: Any
    id: int
    before: bool = False


@dataclass
class Page:
    rows: list
    next: Position | None
    previous: Position | None


def encode(position: Position) -> str:
    value = position.value
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    raw = json.dumps([value, position.id, int(position.before)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, order: Order) -> Position:
    """The position of a cursor, checked against the order it must belong
    to: anything else is a BadCursor (never a bad value for the database)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id, before = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor("not a cursor") from exc
    if type(row_id) is not int or not 1 <= row_id <= MAX_ID or before not in (0, 1):
        raise BadCursor("bad id")
    return Position(_checked_value(value, order), row_id, bool(before))


def _checked_value(value: Any, order: Order) -> Any:
    if order.name is None:
        if value is not None:
            raise BadCursor("a value in an id cursor")
        return None
    if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH or "\x00" in value:
        raise BadCursor("bad value")
    if order.name != "created_at":
        return value
    moment = parse_datetime(value)
    if moment is None or moment.tzinfo is None or not fits_in_utc(moment):
        raise BadCursor("bad moment")
    return moment


def _beyond(field: str, descending: bool, value: Any, *, inclusive: bool = False) -> Q:
    lookup = ("lt" if descending else "gt") + ("e" if inclusive else "")
    return Q(**{f"{field}__{lookup}": value})


def _after(keys: list[tuple[str, bool]], position: Position) -> Q:
    """Rows after `position` in the order `keys`. The first key's bound is
    also stated alone (`name >= v`), so that the database starts its index
    range there rather than filtering from the list's start."""
    (first, first_desc), *rest = keys
    if not rest:
        return _beyond(first, first_desc, position.id)
    (tie, tie_desc) = rest[0]
    return _beyond(first, first_desc, position.value, inclusive=True) & (
        _beyond(first, first_desc, position.value) | _beyond(tie, tie_desc, position.id)
    )


def _position(row, order: Order, *, before: bool) -> Position:
    value = None if order.name is None else getattr(row, ORDER_FIELDS[order.name])
    return Position(value, row.pk, before)


def page_queryset(
    queryset: QuerySet,
    *,
    order: Order,
    size: int,
    position: Position | None = None,
    event_id: int | None = None,
    search: bool = False,
) -> QuerySet:
    """The query of a page: `size` + 1 rows (the last one says whether there
    are more), walking away from `position` (backwards for a `before` one).

    With a search, a column's order leaves the event out: no index then
    gives the order, so the database finds the matches (trigram indexes)
    and sorts them, at a cost that grows with the matches; walking the
    (event, name) index instead reads the whole event before a late match
    (14 s for "viktor" by name at 1,000,000 registrants). Newest first keeps
    it: the planner then weighs walking (event, id) against the matches.
    A search's rows read their company names one by one rather than join
    the companies (selectors.company_names_per_row)."""
    backwards = position is not None and position.before
    if search:
        queryset = selectors.company_names_per_row(queryset)
    if search and order.name is not None:
        event_id = None
    walk = [(field, desc != backwards) for field, desc in order.keys]
    if position is not None:
        queryset = queryset.filter(_after(walk, position))
    order_by = [("-" if desc else "") + field for field, desc in walk]
    if event_id is not None:
        order_by.insert(0, ("-" if walk[0][1] else "") + "event_id")
    return queryset.order_by(*order_by)[: size + 1]


def page(
    queryset: QuerySet,
    *,
    order: Order,
    size: int,
    position: Position | None = None,
    event_id: int | None = None,
    search: bool = False,
) -> Page:
    """`size` rows of `queryset` after (or, for a `before` position, just
    before) `position`, in `order`, with the positions of the pages on
    either side (None at either end). With `event_id`, the queryset must
    hold that one event through `filters.in_event`."""
    backwards = position is not None and position.before
    rows = list(
        page_queryset(
            queryset, order=order, size=size, position=position, event_id=event_id, search=search
        )
    )
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows, None, None)
    forward_more = more if not backwards else True
    backward_more = position is not None if not backwards else more
    return Page(
        rows,
        _position(rows[-1], order, before=False) if forward_more else None,
        _position(rows[0], order, before=True) if backward_more else None,
    )
