"""The search finds what the folded values contain, whatever the term, on
the API list, the dashboard list and the desk alike; on SQLite through its
FTS5 trigram index (registrants/search_index.py) exactly what reading every
row found, and the index follows every write."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from dashboard.views.desk import MAX_MATCHES as DESK_MATCHES
from registrants import search_index
from registrants.erasure import registrant_erase
from registrants.models import Registrant
from registrants.normalization import fold_text
from registrants.purge import registrant_purge
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import search_index_violations

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("María García", "maria@example.com", None),
    ("MARIA GARCIA", "Maria.Garcia@Example.com", "Nestlé Société"),
    ("Anders Ångström", "anders@example.org", None),
    ("Søren Ærø", "soren@aero.example", "Straße & Co"),
    ("Łukasz Łódź", "lukasz@lodz.example", None),
    ('Quote "Q" O\'Neil', "q@example.net", None),
    ("Under_Score 100%", "under%score@example.net", None),
    ("Paren (AND) Star*", "paren@example.net", "NEAR Group"),
    ("Zoë  Lovelace", "zoe@lovelace.example", None),
    ("Ada Lovelace", "ada@lovelace.example", None),
]

TERMS = [
    "garcia", "GARCÍA", "maría garcía", "ia ga", "ía g", "maria.garcia@", "example",
    "ångström", "angstrom", "strasse", "straße", "aero", "łódź", "lodz",
    "société", "nestle soc", "co",
    '"q"', '"', '""', "o'neil", "'", "under_score", "r_s", "100%", "%", "_", "%%%", "___",
    "(and)", "and", "AND", "star*", "*", "paren (", ")", "near", "NEAR(a b)", "a:b",
    "name:ada", "{name}", "-ada", "^ada", "ada OR zoe", "zoe  lovelace", "zoe lovelace",
    "lovelace", "ov", "ad", "a", "@", "\\", "\\%", "x" * 200, "🙂", "ｇａｒｃｉａ",
]  # fmt: skip


@pytest.fixture
def crowd():
    event = EventFactory(capacity=100)
    for name, email, company in PEOPLE:
        make_registrant(event, name=name, email=email, company=company)
    return event


def expected(event, term: str) -> list[str]:
    """What the search must find, newest first: the folded name, email or
    company name contains the folded (and stripped) term."""
    folded = fold_text(term.strip())
    rows = Registrant.objects.filter(event=event).select_related("company").order_by("-id")
    return [
        r.name
        for r in rows
        if folded
        and any(
            folded in fold_text(v) for v in (r.name, r.email, r.company and r.company.name) if v
        )
    ]


def api_names(user, event, term: str, **params) -> list[str]:
    response = client_for(user).get(
        "/api/v1/registrants/", {"search": term, "event": event.pk, "page_size": 100, **params}
    )
    assert response.status_code == 200, response.content[:300]
    return [row["name"] for row in response.json()["results"]]


def page_names(user, event, term: str) -> list[str]:
    web = Client()
    web.force_login(user)
    response = web.get(reverse("dashboard:registrants", args=[event.pk]), {"search": term})
    assert response.status_code == 200
    return [row.registrant.name for row in response.context["listing"].rows]


def desk_names(user, event, term: str) -> list[str] | None:
    web = Client()
    web.force_login(user)
    response = web.get(reverse("dashboard:desk_search", args=[event.pk]), {"code": term})
    assert response.status_code == 200
    return [r.name for r in response.context["matches"]] if response.context["searched"] else None


@pytest.mark.parametrize("term", TERMS)
def test_every_search_finds_what_the_folded_values_contain(organiser, crowd, term):
    """Accents, case, emails, companies, several words, short terms, LIKE
    wildcards and FTS5 syntax are text to find, never a query or a 500."""
    want = expected(crowd, term)
    assert api_names(organiser, crowd, term) == want
    if term.strip():
        assert page_names(organiser, crowd, term) == want
    desk = desk_names(organiser, crowd, term)
    assert desk is None or desk == sorted(want[:DESK_MATCHES])


@pytest.mark.sqlite
@pytest.mark.parametrize("term", TERMS)
def test_the_index_finds_what_reading_every_row_finds(organiser, crowd, term, monkeypatch):
    """The same answers, in the same order, with the index as without it
    (the search before it), on every page that searches."""

    def by_name(user, event, term):
        return api_names(user, event, term, ordering="-name")

    pages = (api_names, by_name, page_names, desk_names)
    with_index = [read(organiser, crowd, term) for read in pages]
    monkeypatch.setattr(search_index, "usable", lambda term: False)
    assert with_index == [read(organiser, crowd, term) for read in pages]


@pytest.mark.sqlite
@pytest.mark.parametrize("term,indexed", [("lovelace", True), ("zoe  lovelace", True),
                                          ("ov", False), ("ａｄａ", True)])  # fmt: skip
def test_a_term_of_three_characters_or_more_is_looked_up_in_the_index(
    organiser, crowd, term, indexed
):
    with CaptureQueriesContext(connection) as queries:
        names = api_names(organiser, crowd, term)
    assert names == expected(crowd, term)
    used = any(f"{search_index.TABLE} MATCH" in q["sql"] for q in queries.captured_queries)
    assert used == indexed


@pytest.mark.sqlite
def test_a_term_in_more_values_than_the_index_should_list_reads_the_rows(
    organiser, crowd, monkeypatch
):
    """Past MAX_MATCHES values the rows, read newest first, hold a page
    sooner than the index lists them all: the same answer either way."""
    monkeypatch.setattr(search_index, "MAX_MATCHES", 1)
    with CaptureQueriesContext(connection) as queries:
        names = api_names(organiser, crowd, "lovelace")
    assert names == ["Ada Lovelace", "Zoë Lovelace"]
    subquery = f"IN (SELECT rowid FROM {search_index.TABLE}"
    assert not any(subquery in q["sql"] for q in queries.captured_queries)
    assert api_names(organiser, crowd, "ada love") == ["Ada Lovelace"]  # one match: the index


@pytest.mark.sqlite
def test_the_index_follows_every_write(organiser, crowd):
    """Registration, edits of name and email (one row or many), erasure,
    deletion: the index holds the folded values of the rows as they are."""
    ada = Registrant.objects.get(name="Ada Lovelace")
    assert search_index_violations() == []
    Registrant.objects.filter(pk=ada.pk).update(name="Ada Byron", email="ADA@Byron.example")
    assert api_names(organiser, crowd, "byron") == ["Ada Byron"]
    assert api_names(organiser, crowd, "ada lovelace") == []
    Registrant.objects.filter(event=crowd).update(email="same@example.net")
    assert search_index_violations() == []
    zoe = Registrant.objects.get(name="Zoë Lovelace")
    zoe.name = "Zoë Ürsula"
    zoe.save()
    assert api_names(organiser, crowd, "zoe urs") == ["Zoë Ürsula"]
    registrant_erase(registrant_id=ada.pk)
    assert api_names(organiser, crowd, "byron") == []
    registrant_purge(registrant_id=ada.pk)
    assert search_index_violations() == []
    assert api_names(organiser, crowd, "maria garcia") == ["MARIA GARCIA", "María García"]


@pytest.mark.sqlite
def test_the_migration_fills_the_index_from_the_rows(organiser, crowd):
    """Migration 0023 on a file that already holds registrants: install()
    builds the index from them, and again after it was dropped."""
    search_index.uninstall(connection)
    make_registrant(crowd, name="Written Without Index")
    search_index.install(connection)
    assert search_index_violations() == []
    assert api_names(organiser, crowd, "without index") == ["Written Without Index"]


@pytest.mark.parametrize("term", ["zz\x00zz", "x" * 201])
def test_a_term_the_search_refuses_is_a_400(organiser, crowd, term):
    """A NUL byte (which would end an FTS5 query's string) or a term past
    200 characters: the one error shape, never a 500."""
    response = client_for(organiser).get(
        "/api/v1/registrants/", {"search": term, "event": crowd.pk}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    web = Client()
    web.force_login(organiser)
    for url, key in (("dashboard:registrants", "search"), ("dashboard:desk_search", "code")):
        assert web.get(reverse(url, args=[crowd.pk]), {key: term}).status_code < 500


def _segments() -> list[bytes]:
    """The index's segments as stored (its averages and structure records,
    ids 1 and 10, left out)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT block FROM {search_index.TABLE}_data WHERE id > 10 ORDER BY id")  # noqa: S608
        return [bytes(block) for (block,) in cursor.fetchall()]


@pytest.mark.sqlite
@pytest.mark.parametrize("bulk", [False, True])
def test_an_erasure_leaves_no_trigram_of_the_name_in_the_index(crowd, bulk, monkeypatch):
    """FTS5 keeps a changed row's old trigrams in older segments until they
    merge: an erasure (one, or many in chunks) merges them, so the index
    stores what an index built from the rows as they are now would store."""
    from registrants import erasure

    monkeypatch.setattr(erasure, "ERASE_CHUNK", 1)
    people = [
        make_registrant(crowd, name="Qwxzv Jkqpf", email="vzxwq@fpqkj.example"),
        make_registrant(crowd, name="Ýrsa Þórðar", email="yrsa@thordar.example"),
    ]
    if bulk:
        erasure.registrants_erase(registrant_ids=[p.pk for p in people])
    else:
        registrant_erase(registrant_id=people[0].pk)
    erased = _segments()
    search_index.install(connection)
    assert erased == _segments()
    assert search_index_violations() == []


@pytest.mark.sqlite
def test_the_rebuild_command_makes_the_index_whole_again(organiser, crowd):
    """A write around the triggers (here: triggers dropped, a name changed)
    leaves the index behind; `manage.py rebuild_search_index` mends it."""
    from django.core.management import call_command

    ada = Registrant.objects.get(name="Ada Lovelace")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER registrant_search_upd")
    Registrant.objects.filter(pk=ada.pk).update(name="Ada Byron")
    assert search_index_violations() != []
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert search_index_violations() == []
    assert api_names(organiser, crowd, "ada byron") == ["Ada Byron"]


@pytest.mark.sqlite
def test_without_the_trigram_tokenizer_every_search_scans(organiser, crowd, monkeypatch):
    """A SQLite older than 3.34: no index is built, and every search reads
    the rows as before it, with the same answers."""
    monkeypatch.setattr(search_index, "AVAILABLE", False)
    search_index.install(connection)  # what migration 0023 does there
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE %s", [f"{search_index.TABLE}%"]
        )
        assert cursor.fetchall() == []
    make_registrant(crowd, name="After No Index")
    registrant_erase(registrant_id=Registrant.objects.get(name="Ada Lovelace").pk)
    for term in ("lovelace", "after no", "garcia"):
        assert api_names(organiser, crowd, term) == expected(crowd, term)
