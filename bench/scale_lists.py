"""The registrant list, its search, the desk's search and the registrant page
at a million registrants, each beside its naive version in the same run.

Called by bench/scale.py (`measure`) after its own reads:

    .venv/bin/python bench/scale.py --database rd_scale_lists [--plans bench/plans]
    .venv/bin/python bench/scale_lists.py --database rd_scale_lists   # these reads alone

"new" is a whole request through Django's test client (the API's list, the
dashboard's list page, the desk's search, the registrant page); "naive" is
the previous code's queries alone, run through the ORM without a request
(DRF's cursor over `event_id = 1` ordered by -id; the page's offset
Paginator with its exact count and chip counts; the desk's first 8 matches
by name): the ratio naive/new understates what changed. "query" is the new
API query alone, to compare with "naive" like for like. The naive queries
run on the same schema (the new (event, id) index included). With --plans, EXPLAIN (ANALYZE, BUFFERS) of the
new and the naive query of each list read is written to that folder.
On a copy of the data set (--database other than rd_scale), the search
beside the previous search follows (bench/scale_search.py). The list page
beside a previous revision of the code, request for request in turns:
bench/list_page.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EVENT = 1
SIZE = 50
Get = Callable[..., Any]


def _naive_api(status: str | None = None, search: str | None = None, before_id: int | None = None):
    """The previous API list query: `event_id = 1` (equality), -id, 51 rows."""
    from registrants import selectors
    from registrants.search import registrant_search

    qs = selectors.registrant_list().filter(event_id=EVENT)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(registrant_search(search))
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return qs.order_by("-id")[: SIZE + 1]


def _new_api(status: str | None = None, search: str | None = None, before_id: int | None = None):
    """The new API list query (registrants/keyset.py), for its plan."""
    from registrants import keyset, selectors
    from registrants.filters import in_event
    from registrants.search import registrant_search

    qs = in_event(selectors.registrant_list(), EVENT)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(registrant_search(search))
    position = keyset.Position(None, before_id) if before_id else None
    return keyset.page_queryset(
        qs,
        order=keyset.Order(),
        size=SIZE,
        position=position,
        event_id=EVENT,
        search=bool(search),
    )


def _naive_page(page: int, search: str = "", status: str = "") -> Callable[[], Any]:
    """The previous list page: offset Paginator by name (its count), chip counts."""
    from django.core.paginator import Paginator
    from django.http import QueryDict

    from dashboard.listing import chip_counts
    from registrants import selectors
    from registrants.models import Event
    from registrants.search import registrant_search

    event = Event.objects.get(pk=EVENT)
    qs = selectors.registrant_list().filter(event_id=EVENT)
    if search:
        qs = qs.filter(registrant_search(search))
    if status:
        qs = qs.filter(status=status)
    params = QueryDict(urlencode({k: v for k, v in (("search", search), ("status", status)) if v}))

    def run():
        paginator = Paginator(qs.order_by("name", "id"), SIZE)
        list(paginator.get_page(page).object_list)
        chip_counts(event=event, params=params)

    return run


def _page_query(ids_in_list: bool = False, **params: str):
    """The list page's first page query (dashboard/listing.py) for `params`;
    with ids_in_list, a search's company ids as `IN (...)`, as before
    registrants/search_ids.py."""
    import contextlib
    from unittest import mock

    from django.db.models import Q
    from django.http import QueryDict

    from registrants import keyset, search, selectors
    from registrants.filters import RegistrantFilter, in_event

    def as_in(field: str, ids: list[int]) -> Q:
        return Q(**{f"{field}__in": ids})

    previous = mock.patch.object(search, "IdIn", as_in) if ids_in_list else contextlib.nullcontext()
    with previous:
        data = QueryDict(urlencode(params))
        qs = RegistrantFilter(data=data, queryset=in_event(selectors.registrant_list(), EVENT)).qs
        return keyset.page_queryset(
            qs, order=keyset.Order(), size=SIZE, event_id=EVENT, search=bool(params.get("search"))
        )


def _naive_desk_query(term: str):
    """The previous desk search: the first 8 matches by name."""
    from registrants import selectors
    from registrants.search import registrant_search

    qs = selectors.registrant_list().filter(event_id=EVENT, erased_at__isnull=True)
    return qs.filter(registrant_search(term)).order_by("name", "id")[:8]


def _naive_desk(term: str) -> Callable[[], Any]:
    return lambda: list(_naive_desk_query(term))


def _new_desk(term: str):
    """The desk's query now (dashboard/views/desk.py), for its plan."""
    from registrants import keyset, selectors
    from registrants.filters import in_event
    from registrants.search import registrant_search

    qs = in_event(selectors.registrant_list(), EVENT).filter(erased_at__isnull=True)
    qs = qs.filter(registrant_search(term))
    return keyset.page_queryset(qs, order=keyset.Order(), size=8, event_id=EVENT)


def _api_cursor(page: int, **params) -> tuple[str, int]:
    """The API list's page `page` (newest first) and the id it starts after,
    found once by offset (following 999 links costs minutes on a busy box;
    the tests walk the links)."""
    from registrants import keyset, selectors
    from registrants.search import registrant_search

    qs = selectors.registrant_list().filter(event_id=EVENT)
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("search"):
        qs = qs.filter(registrant_search(params["search"]))
    row = qs.order_by("-id").values_list("id", flat=True)[(page - 1) * SIZE - 1]
    cursor = keyset.encode(keyset.Position(None, row))
    return "/api/v1/registrants/?" + urlencode({"event": EVENT, **params, "cursor": cursor}), row


def _page_cursor(page: int) -> str:
    """The list page's cursor of page `page` (by name), found once by offset."""
    from registrants import keyset
    from registrants.models import Registrant

    row = Registrant.objects.filter(event_id=EVENT).order_by("name", "id")[(page - 1) * SIZE - 1]
    return keyset.encode(keyset.Position(row.name, row.pk))


def _plans(
    folder: Path, queries: dict[str, tuple[Any, Any]], labels: tuple[str, str] = ("new", "naive")
) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each pair of querysets (or of their
    compiled SQL and parameters) into folder/name.txt."""
    from django.db import connection

    folder.mkdir(parents=True, exist_ok=True)
    for name, pair in queries.items():
        lines = []
        for label, qs in zip(labels, pair, strict=True):
            sql, params = qs if isinstance(qs, tuple) else qs.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            lines += [f"== {label}", cursor.mogrify(sql, params)[:2000], plan, ""]
        (folder / f"{name}.txt").write_text("\n".join(lines))


def measure(
    *, get: Get, timed, summary, repeat: int, deep_page: int, plans: Path | None, copy: bool = False
):
    """Print and return the list reads, new beside naive; on a copy of the
    data set (`copy`: it builds indexes) the search beside the previous
    search too (bench/scale_search.py)."""
    from registrants.models import Registrant

    someone = Registrant.objects.filter(event_id=EVENT, status="exited").order_by("id")[5000]
    status_url, status_before = _api_cursor(deep_page, status="entered")
    search_url, search_before = _api_cursor(deep_page, search="garcia")
    deep_cursor = _page_cursor(deep_page)
    both = {"status": "entered", "search": "zoe lovelace"}
    Maybe = Callable[[], Any] | None
    reads: dict[str, tuple[Callable[[], Any], Maybe, Maybe]] = {
        "API list: status, page 1": (
            lambda: get("/api/v1/registrants/", event=EVENT, status="entered"),
            lambda: list(_naive_api("entered")),
            lambda: list(_new_api("entered")),
        ),
        f"API list: status, page {deep_page}": (
            lambda: get(status_url),
            lambda: list(_naive_api("entered", before_id=status_before)),
            lambda: list(_new_api("entered", before_id=status_before)),
        ),
        "API list: search 'garcia', page 1": (
            lambda: get("/api/v1/registrants/", event=EVENT, search="garcia"),
            lambda: list(_naive_api(search="garcia")),
            lambda: list(_new_api(search="garcia")),
        ),
        f"API list: search 'garcia', page {deep_page}": (
            lambda: get(search_url),
            lambda: list(_naive_api(search="garcia", before_id=search_before)),
            lambda: list(_new_api(search="garcia", before_id=search_before)),
        ),
        "API list: status + search, page 1": (
            lambda: get("/api/v1/registrants/", event=EVENT, **both),
            lambda: list(_naive_api(**both)),
            lambda: list(_new_api(**both)),
        ),
        "list page, page 1": (
            lambda: get(f"/events/{EVENT}/registrants/"),
            _naive_page(1),
            None,
        ),
        f"list page, page {deep_page}": (
            lambda: get(f"/events/{EVENT}/registrants/", cursor=deep_cursor),
            _naive_page(deep_page),
            None,
        ),
        "list page: search 'garcia'": (
            lambda: get(f"/events/{EVENT}/registrants/", search="garcia"),
            _naive_page(1, "garcia"),
            None,
        ),
        "list page: status + search 'garcia'": (
            lambda: get(f"/events/{EVENT}/registrants/", status="entered", search="garcia"),
            _naive_page(1, "garcia", "entered"),
            None,
        ),
        "desk search: a full name": (
            lambda: get(f"/events/{EVENT}/desk/search/", code=someone.name),
            _naive_desk(someone.name),
            None,
        ),
        "desk search: 'viktor'": (
            lambda: get(f"/events/{EVENT}/desk/search/", code="viktor"),
            _naive_desk("viktor"),
            None,
        ),
        "registrant page": (lambda: get(f"/registrants/{someone.pk}/"), None, None),
        "registrant history (API)": (
            lambda: get(f"/api/v1/registrants/{someone.pk}/history/"),
            None,
            None,
        ),
    }
    print(f"\n{'list read':<40} {'p50 ms':>8} {'p99 ms':>8} {'naive p50':>10} {'x':>6}"
          f" {'query p50':>10}")  # fmt: skip
    results: dict[str, Any] = {}
    for name, (new, naive, query) in reads.items():
        r = summary(timed(new, repeat))
        n = summary(timed(naive, max(3, repeat // 4))) if naive else None
        q = summary(timed(query, repeat)) if query else None
        results[name] = {"new": r, "naive": n, "new_query": q}
        ratio = f"{n['p50'] / r['p50']:.1f}" if n and r["p50"] else "-"
        cells = [n["p50"] if n else "-", ratio, q["p50"] if q else "-"]
        print(f"{name:<40} {r['p50']:>8} {r['p99']:>8} {cells[0]:>10} {cells[1]:>6} {cells[2]:>10}",
              flush=True)  # fmt: skip
    if plans is not None:
        _plans(
            plans,
            {
                "list_status_page1": (_new_api("entered"), _naive_api("entered")),
                "list_status_deep": (
                    _new_api("entered", before_id=status_before),
                    _naive_api("entered", before_id=status_before),
                ),
                "list_search_garcia_page1": (
                    _new_api(search="garcia"),
                    _naive_api(search="garcia"),
                ),
                "list_search_garcia_deep": (
                    _new_api(search="garcia", before_id=search_before),
                    _naive_api(search="garcia", before_id=search_before),
                ),
                "list_status_search_page1": (_new_api(**both), _naive_api(**both)),
                "desk_search_viktor": (_new_desk("viktor"), _naive_desk_query("viktor")),
            },
        )
        page_garcia = {"status": "entered", "search": "garcia"}
        _plans(
            plans,
            {
                "list_page_status_search_garcia": (
                    _page_query(**page_garcia),
                    _page_query(True, **page_garcia),
                )
            },
            labels=("new: company ids as = ANY(%s::bigint[])", "previous: company ids as IN (...)"),
        )
    if copy:
        from bench import scale_search

        results["search"] = scale_search.measure(
            get=get, timed=timed, summary=summary, repeat=repeat, someone_name=someone.name,
            plans=plans,
        )  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    """These reads alone, set up as bench/scale.py sets up its own."""
    import json
    import os

    from bench import scale, scale_data

    args = scale.parse_args(argv)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{args.port}/{args.database}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from registrants.roles import ORGANISER

    user, _ = get_user_model().objects.get_or_create(username="bench-organiser")
    user.groups.add(Group.objects.get(name=ORGANISER))
    client = Client()
    client.force_login(user)

    def get(path: str, **params) -> Any:
        response = client.get(path + ("?" + urlencode(params) if params else ""))
        if response.status_code != 200:
            raise SystemExit(f"{path} {params}: {response.status_code} {response.content[:300]!r}")
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.json() if is_json else None

    results = measure(get=get, timed=scale.timed, summary=scale.summary, repeat=args.repeat,
                      deep_page=args.deep_page, plans=args.plans,
                      copy=args.database != scale_data.DATABASE)  # fmt: skip
    print("RESULT " + json.dumps({"load": os.getloadavg(), "lists": results}))
    return 0


if __name__ == "__main__":
    if not __package__:  # run as a file: import bench.* from the repository root
        import sys

        sys.path[0] = str(Path(__file__).resolve().parents[1])
    raise SystemExit(main())
