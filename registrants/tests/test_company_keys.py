"""Company names are one company after normalisation (legal forms,
punctuation, accents and case folded), and existing companies that a new
rule makes one are merged by migration 0010's function."""

from __future__ import annotations

import datetime

import pytest

from registrants import services
from registrants.company_keys import companies_renormalize
from registrants.lifecycle import Status
from registrants.models import Company, Registrant, StatusChange
from registrants.normalization import normalize_company_name
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import assert_invariants

GOOGLE = [
    "Google",
    " google ",
    "GOOGLE",
    "Google Inc",
    "Google Inc.",
    "Google, Inc",
    "Google, Inc.",
    "Google Incorporated",
    "Google LLC",
    "Google L.L.C.",
    "Google Ltd",
    "Google Ltd.",
    "Google Limited",
    "Google GmbH",
    "Google AG",
    "Google plc",
    "Google S.A.",
    "Google SA",
    "Google S.A.S.",
    "Google SAS",
    "Google SARL",
    "Google B.V.",
    "Google BV",
    "Google N.V.",
    "Google Corp.",
    "Google Corporation",
    "Google Co.",
    "Google Company",
    "Google Pty Ltd",
    "Google Co., Ltd.",
    "Google!",
    "Góógle",
    "Google.",
]


@pytest.mark.parametrize("spelling", GOOGLE)
def test_legal_forms_punctuation_accents_and_case_fold_into_one_key(spelling):
    assert normalize_company_name(spelling) == "google"


@pytest.mark.parametrize(
    "name,key",
    [
        ("Procter & Gamble", "procter and gamble"),
        ("Procter and Gamble Co.", "procter and gamble"),
        ("Smith & Co.", "smith"),
        ("Nestlé S.A.", "nestle"),
        ("Margie's Travel", "margies travel"),
        ("Coca-Cola Company", "coca cola"),
        ("Co.", "co"),  # only a legal form: kept, never an empty key
        ("Inc.", "inc"),
        ("Inc Co", "inc co"),
        ("!!!", "!!!"),  # no letters at all: still a key
        ("Company Acme", "company acme"),  # legal forms go only at the end
        ("Acme Labs", "acme labs"),  # not a legal form: rules cannot decide
    ],
)
def test_normalisation_table(name, key):
    assert normalize_company_name(name) == key


def test_a_long_name_that_folds_longer_still_fits_the_key_column():
    key = normalize_company_name("&" * 200)
    assert 0 < len(key) <= 200


@pytest.mark.django_db
def test_registrations_naming_google_inc_join_google():
    event = EventFactory()
    first = make_registrant(event, company="Google")
    second = make_registrant(event, company="Google, Inc.")
    assert first.company_id == second.company_id
    assert Company.objects.get().name == "Google"


@pytest.mark.django_db
def test_migration_merges_companies_that_now_share_a_key_into_the_oldest():
    event = EventFactory(capacity=20)
    # Companies as the old rules keyed them: trimmed and case-folded only.
    old = {}
    for name in ["Google", "Google Inc", "Acme Corp", "Google, Inc.", "Contoso Ltd", "Initech"]:
        old[name] = Company.objects.create(name=name, normalized_name=name.casefold())
    people = {
        name: [
            make_registrant(event, name=f"{name} {i}", email=f"{i}.{company.pk}@example.com")
            for i in range(2)
        ]
        for name, company in old.items()
    }
    for name, company in old.items():
        Registrant.objects.filter(pk__in=[r.pk for r in people[name]]).update(company=company)
    services.registrant_change_status(
        registrant_id=people["Google Inc"][0].pk, to_status=Status.CHECKED_IN
    )
    history = list(StatusChange.objects.order_by("id").values())

    merges = companies_renormalize(company_model=Company, registrant_model=Registrant)

    google = old["Google"]
    assert merges == [(google.pk, [old["Google Inc"].pk, old["Google, Inc."].pk])]
    assert set(Company.objects.values_list("name", "normalized_name")) == {
        ("Google", "google"),
        ("Acme Corp", "acme"),
        ("Contoso Ltd", "contoso"),
        ("Initech", "initech"),
    }
    googlers = {r.pk for name in ("Google", "Google Inc", "Google, Inc.") for r in people[name]}
    assert set(Registrant.objects.filter(company=google).values_list("pk", flat=True)) == (googlers)
    assert list(StatusChange.objects.order_by("id").values()) == history
    assert_invariants()
    # Run again: nothing left to do.
    assert companies_renormalize(company_model=Company, registrant_model=Registrant) == []


@pytest.mark.django_db(transaction=True)
def test_migration_0010_merges_google_inc_into_google():
    """The migration itself, run from 0009 on this database."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("registrants", "0009_search_fold")], [("registrants", "0010_company_keys")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    OldCompany = apps.get_model("registrants", "Company")
    google = OldCompany.objects.create(name="Google", normalized_name="google")
    inc = OldCompany.objects.create(name="Google Inc", normalized_name="google inc")
    # The models of 0009, not today's: later migrations add columns.
    OldEvent, OldRegistrant = (
        apps.get_model("registrants", "Event"),
        apps.get_model("registrants", "Registrant"),
    )
    event = OldEvent.objects.create(name="Keys", date=datetime.date(2026, 12, 1), capacity=10)
    for i in range(3):
        OldRegistrant.objects.create(
            event=event,
            name=f"G {i}",
            email=f"g{i}@example.com",
            company_id=google.pk if i == 0 else inc.pk,
            check_in_code=f"keys-code-{i}",
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert list(Company.objects.values_list("pk", "name", "normalized_name")) == [
        (google.pk, "Google", "google")
    ]
    assert set(Registrant.objects.values_list("company_id", flat=True)) == {google.pk}
