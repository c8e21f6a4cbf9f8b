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
through Django's test client; "query" is the API's list query alone. The
two run in turns, new then previous, so that load drifting during the
run weighs on both.
"""

from __future__ import annotations

import time
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
def previous_indexes() -> Iterator[None]:
    """The previous search's indexes for the duration."""
    from django.db import connection

    with connection.cursor() as cursor:
        for index, (table, column) in PREVIOUS_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
                f"USING gin (rd_fold({column}) gin_trgm_ops)"
            )
        cursor.execute("ANALYZE registrants_registrant, registrants_company")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for index in PREVIOUS_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {index}")


@contextmanager
def previous_code() -> Iterator[None]:
    """The previous search's SQL for the duration: the generic form, rd_fold
    (column) LIKE the term, and the companies joined as registrant_list()
    joins them."""
    from registrants import selectors
    from registrants.search import FoldedContains

    new, per_row = FoldedContains.as_postgresql, selectors.company_names_per_row
    FoldedContains.as_postgresql = FoldedContains.as_sql  # type: ignore[method-assign]
    selectors.company_names_per_row = lambda queryset: queryset
    try:
        yield
    finally:
        FoldedContains.as_postgresql = new  # type: ignore[method-assign]
        selectors.company_names_per_row = per_row


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
    """Print and return the searches, new beside previous, `repeat` turns of
    each read new then previous (`timed` unused: the turns alternate)."""
    from bench.scale_lists import _new_api, _plans

    reads = _reads(get, someone_name)
    query = {"API list: status + 'zoe lovelace'": lambda: list(_new_api("entered", "zoe lovelace"))}
    calls = {**reads, **{f"{name} (query)": call for name, call in query.items()}}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in calls}

    def once(label: str) -> None:
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - started) * 1000
            samples[name].setdefault(label, []).append(elapsed)

    new_sql = _new_api("entered", "zoe lovelace").query.sql_with_params()
    with previous_indexes():
        # New and previous in turns (after a warm-up of each), so that the
        # machine's load drifting during the run weighs on both alike.
        for turn in range(repeat + 1):
            once("new")
            with previous_code():
                once("previous")
            if turn == 0:
                for by_label in samples.values():
                    by_label.clear()
        if plans is not None:
            with previous_code():
                previous_qs = _new_api("entered", "zoe lovelace")
                _plans(
                    plans,
                    {"list_status_search_page1_previous": (new_sql, previous_qs)},
                    labels=("new", "previous"),
                )
    results: dict[str, dict[str, Any]] = {}
    for name, by_label in samples.items():
        read, is_query, _ = name.partition(" (query)")
        for label, times in by_label.items():
            results.setdefault(read, {})[f"{label}_query" if is_query else label] = summary(times)
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
