"""`{% registrant_rows rows %}` and `{% registrant_row row %}`: the registrant
list's rows, written by dashboard/list_rows.py from the template's context."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..list_rows import row_html, row_page, rows_html

register = template.Library()


@register.simple_tag(takes_context=True)
def registrant_rows(context, rows) -> SafeString:
    """Every row of a list page; what the rows share worked out once."""
    return rows_html(rows, row_page(context))


@register.simple_tag(takes_context=True)
def registrant_row(context, row) -> SafeString:
    """One row (the live list's re-read, a row action's answer)."""
    return row_html(row, row_page(context))
