"""What the registrant page shows, read in one query.

The registrant with its event and company, its history (with who made each
change), its answers to the registration page's questions and, for those
who may see them, its latest e-mails: one query instead of five (the event's
time zone, the registrant, history, answers, e-mails). The lists come back
as JSON (dashboard/json_rows.py) and are turned into the same objects the
templates read before. Waitlist positions and offers, which only the
waitlisted have, are still read apart.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, OuterRef, QuerySet
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_date

from mail.models import Message
from mail.selectors import RECENT
from registrants.models import Company, Event, Registrant, StatusChange
from signup.models import Answer

from .json_rows import JsonRows, json_datetime

_CHANGE_FIELDS = ("id", "from_status", "to_status", "at", "actor_id", "source", "note")
_ACTOR_FIELDS = ("id", "username", "first_name", "last_name")
_HISTORY = (
    StatusChange.objects.filter(registrant_id=OuterRef("pk"))
    .order_by()
    .values(*_CHANGE_FIELDS, **{f"actor_{n}": F(f"actor__{n}") for n in _ACTOR_FIELDS[1:]})
)
_ANSWERS = (
    Answer.objects.filter(registrant_id=OuterRef("pk"))
    .order_by()
    .values(
        "question_id",
        "value",
        position=F("question__position"),
        label=F("question__label"),
        kind=F("question__kind"),
    )
)
# The newest RECENT, as the e-mail page lists them.
_MESSAGE_FIELDS = (
    "id", "kind", "recipient", "subject", "status", "attempts", "last_error", "created_at",
    "sent_at",
)  # fmt: skip
_MESSAGES = (
    Message.objects.filter(registrant_id=OuterRef("pk"))
    .order_by("-id")
    .values(*_MESSAGE_FIELDS)[:RECENT]
)


@dataclass
class RegistrantPage:
    """The registrant (event and company joined) and the page's lists."""

    registrant: Registrant
    history: list[StatusChange]
    answers: list[dict[str, Any]]
    messages: list[Message] | None = field(default=None)


# The event's fields the page and its header show; any other is read on use.
_EVENT_FIELDS = ("id", "name", "date", "time_zone")
# Compiled with this id, then run with the registrant's (statement()).
_PLACEHOLDER = -1


def _query(with_messages: bool) -> QuerySet[Registrant]:
    lists = {"page_history": JsonRows(_HISTORY), "page_answers": JsonRows(_ANSWERS)}
    if with_messages:
        lists["page_messages"] = JsonRows(_MESSAGES)
    return Registrant.objects.annotate(
        page_event=JSONObject(**{name: F(f"event__{name}") for name in _EVENT_FIELDS}),
        page_company_name=F("company__name"),
        **lists,
    ).filter(pk=_PLACEHOLDER)


@functools.cache
def statement(alias: str, vendor: str, with_messages: bool) -> tuple[str, tuple[Any, ...]]:
    """The page's SQL and its parameters but the last (the registrant's id),
    compiled once per database: compiling this query (three subqueries, a
    join) cost more than running it (about 1 ms against 0.3 at a million)."""
    sql, params = _query(with_messages).query.get_compiler(using=alias).as_sql()
    if not params or params[-1] != _PLACEHOLDER:
        raise RuntimeError("the registrant page's statement must end with the registrant's id")
    return sql, tuple(params[:-1])


def registrant_page(*, registrant_id: int, with_messages: bool) -> RegistrantPage | None:
    """The registrant page's data in one query; None if there is no such
    registrant. `with_messages`: read the e-mails too (only those who may
    see them do)."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, params = statement(connection.alias, connection.vendor, with_messages)
    found = list(Registrant.objects.raw(sql, (*params, registrant_id)))
    if not found:
        return None
    registrant = found[0]
    row = registrant.__dict__
    event = _json(row.pop("page_event"))
    event["date"] = parse_date(event["date"])
    registrant.event = Event.from_db(
        connection.alias, _EVENT_FIELDS, [event[n] for n in _EVENT_FIELDS]
    )
    company_name = row.pop("page_company_name")
    registrant.company = (
        Company.from_db(connection.alias, ("id", "name"), (registrant.company_id, company_name))
        if registrant.company_id is not None
        else None
    )
    return RegistrantPage(
        registrant=registrant,
        history=_history(_json(row.pop("page_history"))),
        answers=_answers(_json(row.pop("page_answers"))),
        messages=_messages(_json(row.pop("page_messages"))) if with_messages else None,
    )


def _json(value: Any) -> Any:
    # A raw query's extra column is the driver's value: JSON text on both
    # databases today (Django reads jsonb as text), decoded if a driver did.
    return json.loads(value) if isinstance(value, str) else value


def _history(rows: list[dict[str, Any]]) -> list[StatusChange]:
    """The history's rows, oldest first, with their actors (as much of
    them as names need). Fields not read here load on use (from_db)."""
    user_model = get_user_model()
    changes = []
    for row in sorted(rows, key=lambda r: r["id"]):
        row["at"] = json_datetime(row["at"])
        change = StatusChange.from_db(
            DEFAULT_DB_ALIAS, _CHANGE_FIELDS, [row[n] for n in _CHANGE_FIELDS]
        )
        change.actor = (
            user_model.from_db(
                DEFAULT_DB_ALIAS, _ACTOR_FIELDS, [row[f"actor_{n}"] for n in _ACTOR_FIELDS]
            )
            if row["actor_id"] is not None
            else None
        )
        changes.append(change)
    return changes


def _answers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """signup.selectors.registrant_answers' shape, in question order."""
    ordered = sorted(rows, key=lambda r: (r["position"], r["question_id"]))
    return [
        {"question": r["question_id"], "label": r["label"], "kind": r["kind"], "value": r["value"]}
        for r in ordered
    ]


def _messages(rows: list[dict[str, Any]]) -> list[Message]:
    """The e-mails, newest first, with the fields the page's table shows."""
    messages = []
    for row in sorted(rows, key=lambda r: r["id"], reverse=True):
        row["created_at"], row["sent_at"] = (
            json_datetime(row["created_at"]),
            json_datetime(row["sent_at"]),
        )
        messages.append(
            Message.from_db(DEFAULT_DB_ALIAS, _MESSAGE_FIELDS, [row[n] for n in _MESSAGE_FIELDS])
        )
    return messages
