"""The registrant page's list of messages (dashboard/registrant_detail.html)."""

from __future__ import annotations

from typing import Any

from django import template

from mail.selectors import registrant_messages

register = template.Library()


@register.inclusion_tag("mail/partials/registrant_messages.html")
def registrant_messages_card(registrant: Any, rows: list[Any] | None = None) -> dict[str, Any]:
    """The messages sent (or tried) to a registrant, newest first: `rows`
    when the page read them already, else read here."""
    return {"rows": list(registrant_messages(registrant.pk)) if rows is None else rows}
