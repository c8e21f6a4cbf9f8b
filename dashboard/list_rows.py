"""The registrant list's rows as HTML, written in Python once per page.

The rows were 50 inclusions of partials/registrant_row.html a page: per
row two `{% url %}`, a `{% csrf_token %}`, the status badge, two date
filters and `next|default:request.get_full_path`, about 0.4 ms of template
work a row, more than half of the page's time at a million registrants.
What is the same on every row (the links around the id, the CSRF input,
the `next` value, the user's capabilities, the active time zone) is worked
out once per page (RowPage); each row then fills in its own values. The
HTML is the template's, character for character (dashboard/tests/
test_list_rows.py renders the previous templates beside this).
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeData, SafeString, mark_safe

from registrants import presenters
from registrants.lifecycle import Status

from .listing import Row
from .templatetags.dashboard import status_badge

# An id no registrant has, reversed once and then replaced by each row's id.
_SENTINEL = "987654321987654321"
_ERASED = ' <span class="tag" title="Deleted: the details are erased">erased</span>'
_DUPLICATE = (
    ' <span class="tag" title="Another registration of this event has the same email">'
    "same email twice</span>"
)


def _e(value: Any) -> str:
    """conditional_escape without its lazy-argument check (a fifth of the
    rows' time): Django's escape is html.escape of the text."""
    return str(value) if isinstance(value, SafeData) else html.escape(str(value))


def _link(name: str) -> Callable[[int], str]:
    """The URL of view `name` for an id, escaped as `{% url %}` writes it:
    reversed once around a placeholder id, then filled in."""
    parts = reverse(name, args=[_SENTINEL]).split(_SENTINEL)
    if len(parts) != 2:  # the placeholder occurs elsewhere too: reverse each
        return lambda pk: _e(reverse(name, args=[pk]))
    before, after = (_e(part) for part in parts)
    return lambda pk: f"{before}{pk}{after}"


@dataclass(frozen=True)
class RowPage:
    """What every row of one rendering shares."""

    bulk: bool
    change_status: bool
    detail_url: Callable[[int], str]
    transition_url: Callable[[int], str]
    csrf_input: str  # safe HTML, "" without a token
    next: str  # escaped
    message: str  # the row's error or notice paragraph (safe HTML), or ""
    row_class: str
    zone: datetime.tzinfo  # the active time zone (the event's)
    months: tuple[str, ...]  # the date filter's "M" of each month, 1-based
    badges: dict[str, str]  # status_badge of each status


def _months() -> tuple[str, ...]:
    # dateformat's "M": MONTHS_3[month].title(), in the active language.
    return ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))


def row_page(context: Any) -> RowPage:
    """A RowPage from a template context: `can`, the CSRF token, `next`
    (else the request's path), and the `error` or `notice` of a row action."""
    can = context.get("can") or {}
    request = context.get("request")
    next_url = context.get("next") or (request.get_full_path() if request is not None else "")
    error, notice = context.get("error"), context.get("notice")
    if error:
        message = f'<p class="row-message row-message--error" role="alert">{_e(error)}</p>'
        row_class = "row--error"
    elif notice:
        message = f'<p class="row-message" role="status">{_e(notice)}</p>'
        row_class = "row--notice"
    else:
        message = row_class = ""
    return RowPage(
        bulk=bool(can.get("bulk")),
        change_status=bool(can.get("change_status")),
        detail_url=_link("dashboard:registrant"),
        transition_url=_link("dashboard:registrant_transition"),
        csrf_input=CsrfTokenNode().render(context),
        next=_e(next_url),
        message=message,
        row_class=row_class,
        zone=timezone.get_current_timezone(),
        months=_months(),
        badges={status.value: status_badge(status.value) for status in Status},
    )


def _actions(row: Row, page: RowPage, pk: int, name: str) -> str:
    url = page.transition_url(pk)
    parts = [
        f'\n    <form method="post" action="{url}" class="row-actions"\n'
        f'          hx-target="#row-{pk}" hx-swap="outerHTML">\n'
        f"      {page.csrf_input}\n"
        '      <input type="hidden" name="context" value="row">\n'
        f'      <input type="hidden" name="next" value="{page.next}">\n      '
    ]
    for value, label in row.actions:
        cancel = value == "cancelled"
        danger = " btn--danger" if cancel else ""
        confirm = f'hx-confirm="Cancel the registration of {name}?"' if cancel else ""
        label = _e(label)
        parts.append(
            f'\n        <button type="submit" name="to_status" value="{_e(value)}"'
            f' hx-post="{url}"\n'
            f'                class="btn btn--small{danger}"\n'
            f"                {confirm}\n"
            f'                aria-label="{label}: {name}">{label}</button>\n      '
        )
    parts.append("\n    </form>\n    ")
    return "".join(parts)


def row_html(row: Row, page: RowPage) -> SafeString:
    """One row's <tr>, as partials/registrant_row.html wrote it (without the
    file's last line break)."""
    r = row.registrant
    pk, name = r.pk, _e(r.name)
    created = r.created_at
    if created is None:
        at_iso = at_text = ""
    else:
        # The date filter's "c" and "j M H:i" of the time in the active zone.
        local = created.astimezone(page.zone)
        at_iso = local.isoformat()
        at_text = f"{local.day} {page.months[local.month]} {local:%H:%M}"
    select = (
        f'<td class="col-select"><input type="checkbox" class="row-select" name="ids"'
        f' value="{pk}" form="bulk" aria-label="Select {name}"></td>'
        if page.bulk
        else ""
    )
    html = (
        f'\n<tr id="row-{pk}" data-status="{_e(r.status)}" class="{page.row_class}">\n'
        f"  {select}\n"
        f'  <td class="col-name"><a href="{page.detail_url(pk)}">{name}</a>'
        f"{_ERASED if r.erased_at else ''}{_DUPLICATE if row.duplicate else ''}</td>\n"
        f'  <td class="col-email">{_e(r.email)}</td>\n'
        f'  <td class="col-company">{_e(getattr(r, "company_name", "") or "—")}</td>\n'
        f'  <td class="col-guest_type">{_e(presenters.guest_type_label(r.guest_type))}</td>\n'
        f'  <td class="col-status">{page.badges.get(r.status) or status_badge(r.status)}</td>\n'
        f'  <td class="col-created_at"><time datetime="{_e(at_iso)}">'
        f"{_e(at_text)}</time></td>\n  "
    )
    if page.change_status:
        actions = _actions(row, page, pk, name) if row.actions else ""
        html += f'\n  <td class="col-actions">\n    {actions}\n    {page.message}\n  </td>\n  '
    return mark_safe(html + "\n</tr>\n")  # noqa: S308  (every value is escaped above)


def rows_html(rows: list[Row], page: RowPage) -> SafeString:
    """The list's rows as partials/registrant_results.html's loop wrote them
    (each row's partial between the loop's own indentation)."""
    return mark_safe(  # noqa: S308  (row_html escapes)
        "".join(f"\n      {row_html(row, page)}\n\n    " for row in rows)
    )
