"""Search that ignores accents and case: "Garcia", "GARCÍA" and "garcía"
find García on both databases.

Both sides of the comparison go through one SQL function, `rd_fold`:
on PostgreSQL a wrapper of the unaccent extension (migration 0009), whose
values for the registrant's name and email the table stores (migration
0022), with trigram indexes over them, so a search stays indexed; on
SQLite normalization.fold_text, registered on every new connection, whose
values for the name and email an FTS5 trigram index holds (migration
0023, registrants/search_index.py). The
search term is folded by the same function in the same query, so what a
term matches never depends on Python and the database folding differently.
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import BooleanField, Expression, F, Func, Q, TextField, Value
from django.db.models.expressions import Col
from django.db.models.functions import StrIndex
from django.db.models.lookups import Contains, GreaterThan, Lookup
from django.dispatch import receiver

from . import search_index
from .models import Company
from .normalization import fold_text
from .search_ids import IdIn

FOLD_FUNCTION = "rd_fold"
MAX_COMPANY_IDS = 1000
# A term's words looked up on their own in a trigram index (FoldedContains).
MAX_WORDS = 4


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


# The columns PostgreSQL keeps folded (migration 0022), by table and column;
# the model does not declare them (SQLite has none).
STORED_FOLDS = {
    ("registrants_registrant", "name"): "name_folded",
    ("registrants_registrant", "email"): "email_folded",
    ("registrants_company", "name"): "name_folded",
}


class StoredFold(Expression):
    """The stored folded twin of a column (STORED_FOLDS), on PostgreSQL."""

    output_field = TextField()

    def __init__(self, column: Col, folded: str) -> None:
        super().__init__()
        self.column, self.folded = column, folded

    def as_sql(self, compiler, connection):
        name = connection.ops.quote_name(self.folded)
        if self.column.alias:
            return f"{compiler.quote_name_unless_alias(self.column.alias)}.{name}", []
        return name, []


class FoldedContains(Expression):
    """`field`, folded, contains `term`, folded (LIKE wildcards in the term
    are literal).

    On PostgreSQL the registrant's name and email and the company's name
    are read folded from their stored columns: a trigram index returns candidates, each checked
    again against the row, and a stored value spares that check a call of
    rd_fold (unaccent through an SQL wrapper, 1.5 microseconds).
    A term of several words is looked up by its (MAX_WORDS longest) words
    of three letters or more, each its own key of the trigram index, then
    checked whole by strpos: `LIKE '%zoe lovelace%'` would also ask the
    index for the trigrams the blank makes ("oe ", "  l", " lo": those of
    every word that starts with an l), whose long lists cost most of its
    scan (bench/plans/list_status_search_page1_previous.txt). Folding maps
    characters one at a time, so a value that contains the folded term
    contains each folded word: looking up the words loses no match.
    SQLite has no trigram index: one LIKE over the folded value (the
    registrant's name and email have an FTS5 index instead: search_index).
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str | Expression, term: str) -> None:
        super().__init__()
        self.source = F(field) if isinstance(field, str) else field
        self.term = term

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, exprs):
        (self.source,) = exprs

    def as_sql(self, compiler, connection):
        return compiler.compile(Contains(Folded(self.source), Folded(Value(self.term))))

    def as_postgresql(self, compiler, connection):
        source = self.source
        folded: Expression = Folded(source)
        if isinstance(source, Col):
            key = (source.target.model._meta.db_table, source.target.column or "")
            if key in STORED_FOLDS:
                folded = StoredFold(source, STORED_FOLDS[key])
        term = Folded(Value(self.term))
        # The longest words (the rarest, as a rule); any of them bound the
        # matches, and a 200-character term would make dozens of keys.
        words = sorted(
            (word for word in dict.fromkeys(self.term.split()) if len(word) >= 3),
            key=len,
            reverse=True,
        )[:MAX_WORDS]
        if len(self.term.split()) < 2 or not words:
            return compiler.compile(Contains(folded, term))
        lookups: list[Lookup] = [Contains(folded, Folded(Value(word))) for word in words]
        # The term itself by strpos, which no index serves: it stays out of
        # the index scan and checks only the rows the words found.
        lookups.append(GreaterThan(StrIndex(folded, term), 0))
        parts = [compiler.compile(lookup) for lookup in lookups]
        return (
            "(" + " AND ".join(sql for sql, _params in parts) + ")",
            tuple(param for _sql, params in parts for param in params),
        )


def folded_contains(field: str, term: str) -> FoldedContains:
    """`field`, folded, contains `term`, folded (see FoldedContains)."""
    return FoldedContains(field, term)


def registrant_search(term: str) -> Q:
    """Registrants whose name, email or company name contain `term`,
    ignoring accents and case. Never the check-in code: a code is a door key.

    The companies are looked up first (a list of ids) rather than joined:
    an OR across a join cannot use the registrant table's indexes, while
    `company_id IN (...)` can (the (event, company) index). On SQLite the
    name and email are looked up in their FTS5 trigram index when the term
    is long enough (search_index), matching what the scan would match.
    """
    # Ids only, in no order: the model's order by name sorted every match.
    companies = (
        Company.objects.filter(folded_contains("name", term))
        .order_by()
        .values_list("id", flat=True)
    )
    company_ids = list(companies[: MAX_COMPANY_IDS + 1])
    condition = _name_or_email(term)
    if len(company_ids) > MAX_COMPANY_IDS:
        # A term most companies contain: a subquery, rather than more
        # parameters than SQLite accepts in one statement.
        condition |= Q(company_id__in=companies)
    elif company_ids:
        condition |= Q(IdIn("company_id", company_ids))
    return condition


def _name_or_email(term: str) -> Q:
    # SQLite: the index for a term it can answer, unless the term is so
    # common that the rows newest first hold a page of it sooner.
    if (
        connection.vendor == "sqlite"
        and search_index.usable(term)
        and not search_index.common(term)
    ):
        return Q(pk__in=search_index.matching_ids(term))
    return Q(folded_contains("name", term)) | Q(folded_contains("email", term))
