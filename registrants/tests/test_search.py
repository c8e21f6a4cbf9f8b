"""Search ignores accents and case, on the API list, the dashboard list and
the desk's name search alike, and never matches check-in codes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for
from registrants.normalization import fold_text
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    event = EventFactory()
    return {
        "event": event,
        "garcia": make_registrant(event, name="María García", email="maria@example.com"),
        "angstrom": make_registrant(event, name="Anders Ångström", email="anders@example.org"),
        "zoe": make_registrant(event, name="Zoë Smith", email="Zoe.Unal@Café-Zoë.example"),
        "nestle": make_registrant(event, name="Nora Field", company="Nestlé Société"),
        "plain": make_registrant(event, name="Bob Plain", email="bob@example.com"),
    }


CASES = [
    ("Garcia", "garcia"),
    ("GARCÍA", "garcia"),
    ("garcía", "garcia"),
    ("maría garcía", "garcia"),
    ("ångström", "angstrom"),
    ("angstrom", "angstrom"),
    ("ANGSTRÖM", "angstrom"),
    ("ZOE.UNAL@cafe-zoe", "zoe"),  # email, accents and case
    ("unal@CAFÉ", "zoe"),
    ("nestle societe", "nestle"),  # company
    ("NESTLÉ", "nestle"),
    ("BOB plain", "plain"),  # plain ASCII, any case
    ("Bob@Example", "plain"),
]


def _api_names(user, term: str, event) -> set[str]:
    response = client_for(user).get("/api/v1/registrants/", {"search": term, "event": event.pk})
    assert response.status_code == 200
    return {row["name"] for row in response.json()["results"]}


@pytest.mark.parametrize("term,who", CASES)
def test_api_search_ignores_accents_and_case(organiser, people, term, who):
    assert _api_names(organiser, term, people["event"]) == {people[who].name}


@pytest.mark.parametrize("term,who", CASES)
def test_dashboard_list_search_ignores_accents_and_case(organiser, people, term, who):
    web = Client()
    web.force_login(organiser)
    url = reverse("dashboard:registrants", args=[people["event"].pk])
    response = web.get(url, {"search": term})
    assert response.status_code == 200
    assert [row.registrant.name for row in response.context["listing"].rows] == [people[who].name]


@pytest.mark.parametrize("term,who", CASES)
def test_desk_name_search_ignores_accents_and_case(staff, people, term, who):
    web = Client()
    web.force_login(staff)
    url = reverse("dashboard:desk_search", args=[people["event"].pk])
    response = web.get(url, {"code": term})
    assert response.status_code == 200
    assert [r.name for r in response.context["matches"]] == [people[who].name]


def test_search_wildcards_are_literal(organiser, people):
    assert _api_names(organiser, "%", people["event"]) == set()
    assert _api_names(organiser, "_", people["event"]) == set()
    make_registrant(people["event"], name="Under_Score 100%")
    assert _api_names(organiser, "r_s", people["event"]) == {"Under_Score 100%"}
    assert _api_names(organiser, "100%", people["event"]) == {"Under_Score 100%"}


def test_folded_search_never_matches_codes(organiser, people):
    code = people["garcia"].check_in_code
    for fragment in (code, code[:10], code.upper()[3:13], code.lower()[5:15]):
        assert _api_names(organiser, fragment, people["event"]) == set()


@pytest.mark.parametrize(
    "text,folded",
    [
        ("GARCÍA", "garcia"),
        ("Ångström", "angstrom"),
        ("Straße", "strasse"),
        ("Søren Ærø", "soren aero"),
        ("Łódź", "lodz"),
        ("plain@example.com", "plain@example.com"),
    ],
)
def test_python_fold_matches_what_the_database_folds(text, folded):
    """SQLite folds with fold_text, PostgreSQL with unaccent: both agree on
    the letters people type (the database's answer is checked too)."""
    from django.db import connection

    assert fold_text(text) == folded
    with connection.cursor() as cursor:
        cursor.execute("SELECT rd_fold(%s)", [text])
        assert cursor.fetchone()[0] == folded


def test_a_term_many_companies_contain_still_finds_their_people(organiser, people, monkeypatch):
    from registrants import search

    monkeypatch.setattr(search, "MAX_COMPANY_IDS", 0)  # the subquery branch
    assert _api_names(organiser, "société", people["event"]) == {people["nestle"].name}


@pytest.mark.parametrize(
    "term,expected",
    [
        ("maría   garcía", set()),  # the blanks are part of the term
        ("garcía maría", set()),  # both words, not in that order
        ("maría example", set()),  # one word in the name, both in the email
        ("ia garc", {"María García"}),  # the term across the words' edges
        ("ía g", {"María García"}),  # no word of three letters
        ("zoë smi", {"Zoë Smith"}),
        ("maría ％", set()),  # folds to a literal "%", not a wildcard
        ("under_score 100%", {"Under_Score 100%"}),
    ],
)
def test_a_term_of_several_words_matches_as_a_whole(organiser, people, term, expected):
    """PostgreSQL looks a term of several words up word by word, then checks
    the whole term: the words alone must never make a match."""
    make_registrant(people["event"], name="Under_Score 100%")
    assert _api_names(organiser, term, people["event"]) == expected


@pytest.mark.postgres
def test_the_registrant_table_keeps_name_and_email_folded_and_indexed():
    """Migration 0022: the stored folded columns the search reads, their
    trigram indexes, and values that follow every write of the row (and
    the company's name, folded alike)."""
    from django.db import connection

    from registrants.models import Registrant

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s",
            ["%fold_trgm"],
        )
        indexes = dict(cursor.fetchall())
    assert set(indexes) == {
        "registrant_name_fold_trgm",
        "registrant_email_fold_trgm",
        "company_name_fold_trgm",
    }
    assert "USING gin (name_folded gin_trgm_ops)" in indexes["registrant_name_fold_trgm"]
    assert "USING gin (email_folded gin_trgm_ops)" in indexes["registrant_email_fold_trgm"]
    assert (
        "registrants_company USING gin (name_folded gin_trgm_ops)"
        in (indexes["company_name_fold_trgm"])
    )

    event = EventFactory()
    someone = make_registrant(
        event, name="Zoë Ångström", email="Zoe@Café.example", company="Nestlé Søciété"
    )
    Registrant.objects.filter(pk=someone.pk).update(name="Łukasz GARCÍA")

    def folded() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name_folded, email_folded FROM registrants_registrant WHERE id = %s",
                [someone.pk],
            )
            return cursor.fetchone()

    assert folded() == ("lukasz garcia", "zoe@cafe.example")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name_folded FROM registrants_company WHERE id = %s", [someone.company_id]
        )
        assert cursor.fetchone() == ("nestle societe",)


def test_a_term_of_many_words_is_still_checked_whole(organiser, people):
    """Only the longest words go to the index; the others still count."""
    make_registrant(people["event"], name="Ann Bea Cid Dee Eve Fay Gus Hal")
    assert _api_names(organiser, "ann bea cid dee eve fay gus hal", people["event"]) == {
        "Ann Bea Cid Dee Eve Fay Gus Hal"
    }
    assert _api_names(organiser, "ann bea cid dee eve fay gus hax", people["event"]) == set()


def test_a_search_page_reads_each_row_company_and_sorts_by_it(organiser, people):
    """A search's page reads the company names row by row (no join): the
    rows still carry their companies, and `ordering=company` still walks
    them in order across pages."""
    event = people["event"]
    for company in ("Zeta Labs", "Alpha Works", "Mid Corp"):
        make_registrant(event, name=f"Searchable {company}", company=company)
    make_registrant(event, name="Searchable Nobody")
    client = client_for(organiser)
    params = {"event": event.pk, "search": "searchable", "ordering": "company", "page_size": 1}
    seen, url = [], "/api/v1/registrants/"
    while url:
        response = client.get(url, params if url == "/api/v1/registrants/" else None)
        assert response.status_code == 200
        body = response.json()
        seen += [(row["name"], (row["company"] or {}).get("name")) for row in body["results"]]
        url = body["next"]
    assert seen == [
        ("Searchable Nobody", None),
        ("Searchable Alpha Works", "Alpha Works"),
        ("Searchable Mid Corp", "Mid Corp"),
        ("Searchable Zeta Labs", "Zeta Labs"),
    ]


def test_a_search_page_reads_no_company_row_by_row(
    organiser, people, django_assert_max_num_queries
):
    """The company names come with the rows: as many queries for a page of
    twenty matches with companies as for one."""
    event = people["event"]
    for i in range(20):
        make_registrant(event, name=f"Listed {i}", company=f"Firm {i}")
    client = client_for(organiser)
    client.get("/api/v1/registrants/", {"event": event.pk, "search": "listed 1"})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        response = client.get("/api/v1/registrants/", {"event": event.pk, "search": "listed 19"})
    assert [row["company"]["name"] for row in response.json()["results"]] == ["Firm 19"]
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/registrants/", {"event": event.pk, "search": "listed"})
    names = {row["company"]["name"] for row in response.json()["results"]}
    assert names == {f"Firm {i}" for i in range(20)}
