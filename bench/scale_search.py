"""The search at a million registrants beside the previous search, in one run.

Called by bench/scale_lists.py (`measure`) on a copy of the data set:

    .venv/bin/python bench/scale_lists.py --database rd_scale_search

"new" is the search of registrants/search.py: on PostgreSQL the stored
folded columns of migration 0022 and, for a term of several words, its
words looked up on their own and the term checked by strpos; and the page's
company names read row by row (selectors.company_names_per_row). "previous"
is the search before it: `rd_fold(column) LIKE '%term%'` over trigram
indexes of rd_fold(...) (migration 0009's: the registrant's name and email,
the company's name), the companies joined; this module builds the indexes
for the comparison and drops them after (about 20 s at 1,500,000 rows: it
writes, so never on the shared rd_scale). Each read is a whole request
through Django's test client; "query" is the API's list query alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EVENT = 1
# 0009's indexes, under names of their own: index -> (table, column).
PREVIOUS_INDEXES = {
    "bench_previous_name_fold_trgm": ("registrants_registrant", "name"),
    "bench_previous_email_fold_trgm": ("registrants_registrant", "email"),
    "bench_previous_company_fold_trgm": ("registrants_company", "name"),
}


@contextmanager
def previous_search() -> Iterator[None]:
    """The previous search's SQL and indexes for the duration."""
    from django.db import connection

    from registrants import selectors
    from registrants.search import FoldedContains

    with connection.cursor() as cursor:
        for index, (table, column) in PREVIOUS_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
                f"USING gin (rd_fold({column}) gin_trgm_ops)"
            )
        cursor.execute("ANALYZE registrants_registrant, registrants_company")
    new, per_row = FoldedContains.as_postgresql, selectors.company_names_per_row
    # The generic form is the previous one: rd_fold(column) LIKE the term;
    # and the companies joined, as registrant_list() joins them.
    FoldedContains.as_postgresql = FoldedContains.as_sql  # type: ignore[method-assign]
    selectors.company_names_per_row = lambda queryset: queryset
    try:
        yield
    finally:
        FoldedContains.as_postgresql = new  # type: ignore[method-assign]
        selectors.company_names_per_row = per_row
        with connection.cursor() as cursor:
            for index in PREVIOUS_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {index}")


def _reads(get: Callable[..., Any], someone_name: str) -> dict[str, Callable[[], Any]]:
    both = {"status": "entered", "search": "zoe lovelace"}
    return {
        "API list: status + 'zoe lovelace'": lambda: get(
            "/api/v1/registrants/", event=EVENT, **both
        ),
        "list page: status + 'zoe lovelace'": lambda: get(f"/events/{EVENT}/registrants/", **both),
        "API list: status + 'garcia'": lambda: get(
            "/api/v1/registrants/", event=EVENT, status="entered", search="garcia"
        ),
        "desk search: a full name": lambda: get(f"/events/{EVENT}/desk/search/", code=someone_name),
    }


def measure(*, get, timed, summary, repeat: int, someone_name: str, plans: Path | None) -> dict:
    """Print and return the searches, new beside previous."""
    from bench.scale_lists import _new_api, _plans

    reads = _reads(get, someone_name)
    query = {"API list: status + 'zoe lovelace'": lambda: list(_new_api("entered", "zoe lovelace"))}
    results: dict[str, dict[str, Any]] = {}

    def run(label: str) -> None:
        for name, call in reads.items():
            results.setdefault(name, {})[label] = summary(timed(call, repeat))
            if name in query:
                results[name][f"{label}_query"] = summary(timed(query[name], repeat))

    run("new")
    new_sql = _new_api("entered", "zoe lovelace").query.sql_with_params()
    with previous_search():
        run("previous")
        if plans is not None:
            _plans(
                plans,
                {
                    "list_status_search_page1_previous": (
                        new_sql,
                        _new_api("entered", "zoe lovelace"),
                    )
                },
                labels=("new", "previous"),
            )
    print(f"\n{'search':<40} {'new p50':>8} {'new p99':>8} {'prev p50':>9} {'x':>6}"
          f" {'query new':>10} {'query prev':>11}")  # fmt: skip
    for name, r in results.items():
        new, previous = r["new"], r["previous"]
        ratio = f"{previous['p50'] / new['p50']:.1f}" if new["p50"] else "-"
        q_new = r.get("new_query", {}).get("p50", "-")
        q_prev = r.get("previous_query", {}).get("p50", "-")
        print(f"{name:<40} {new['p50']:>8} {new['p99']:>8} {previous['p50']:>9} {ratio:>6}"
              f" {q_new:>10} {q_prev:>11}", flush=True)  # fmt: skip
    return results
