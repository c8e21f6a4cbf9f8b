"""Search that ignores accents and case: "Garcia", "GARCÍA" and "garcía"
find García on both databases.

Both sides of the comparison go through one SQL function, `rd_fold`:
on PostgreSQL a wrapper of the unaccent extension (migration 0009, with
trigram indexes over the folded columns, so a search stays indexed); on
SQLite normalization.fold_text, registered on every new connection. The
search term is folded by the same function in the same query, so what a
term matches never depends on Python and the database folding differently.
"""

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import Func, Q, TextField, Value
from django.db.models.lookups import Contains
from django.dispatch import receiver

from .models import Company
from .normalization import fold_text

FOLD_FUNCTION = "rd_fold"
MAX_COMPANY_IDS = 1000


class Folded(Func):
    """rd_fold(expression): the expression without accents and case, for
    LIKE only: on SQLite an ASCII value keeps its case (LIKE ignores it)."""

    function = FOLD_FUNCTION
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # A call into Python per row costs microseconds; SQLite's LIKE
        # already ignores the case of ASCII letters, so ASCII values (the
        # text is as long as its bytes: nearly every email, most names)
        # are compared as they are and only the others are folded.
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(CASE WHEN length({sql}) = length(CAST({sql} AS BLOB)) THEN {sql} "
            f"ELSE {FOLD_FUNCTION}({sql}) END)",
            (*params, *params, *params, *params),
        )


def _fold_or_null(value: str | None) -> str | None:
    return None if value is None else fold_text(value)


@receiver(connection_created, dispatch_uid="registrants.search.rd_fold")
def register_fold_function(sender, connection, **kwargs) -> None:
    """SQLite knows no unaccent: give every connection the Python fold.
    Deterministic, so SQLite may use it in any query plan."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD_FUNCTION, 1, _fold_or_null, deterministic=True)


def folded_contains(field: str, term: str) -> Contains:
    """`field`, folded, contains `term`, folded (LIKE wildcards in the term
    are escaped by Django)."""
    return Contains(Folded(field), Folded(Value(term)))


def registrant_search(term: str) -> Q:
    """Registrants whose name, email or company name contain `term`,
    ignoring accents and case. Never the check-in code: a code is a door key.

    The companies are looked up first (a list of ids) rather than joined:
    an OR across a join cannot use the registrant table's indexes, while
    `company_id IN (...)` can (the (event, company) index).
    """
    companies = Company.objects.filter(folded_contains("name", term)).values_list("id", flat=True)
    company_ids = list(companies[: MAX_COMPANY_IDS + 1])
    condition = Q(folded_contains("name", term)) | Q(folded_contains("email", term))
    if len(company_ids) > MAX_COMPANY_IDS:
        # A term most companies contain: a subquery, rather than more
        # parameters than SQLite accepts in one statement.
        condition |= Q(company_id__in=companies)
    elif company_ids:
        condition |= Q(company_id__in=company_ids)
    return condition
