"""Management commands: seed_demo, create_user, ensure_demo_login."""

from __future__ import annotations

import datetime
import stat
from io import StringIO
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Min
from django.utils import timezone
from rest_framework.test import APIClient

from registrants.company_duplicates import likely_duplicate_companies
from registrants.demo import data as demo_data
from registrants.lifecycle import Status
from registrants.models import Company, Event, GuestType, Registrant, StatusChange
from registrants.normalization import normalize_company_name
from registrants.roles import CHECKIN_STAFF, ORGANISER, ROLES, VIEWER
from registrants.tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db

SMALL = 300


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def demo_event() -> Event:
    return Event.objects.get(name=demo_data.DEMO_EVENT_NAME)


def counts() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "companies": Company.objects.count(),
        "registrants": Registrant.objects.count(),
        "history": StatusChange.objects.count(),
    }


# --- seed_demo ------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    run("seed_demo", registrants=SMALL, verbosity=0)
    return demo_event()


def test_seed_demo_makes_tonights_event_with_the_asked_number_of_registrants(seeded):
    tz = ZoneInfo(django_settings.TIME_ZONE)
    assert seeded.date == datetime.datetime.now(tz).date()
    assert seeded.capacity >= 3500
    assert seeded.registrants.count() == SMALL
    past = Event.objects.get(name=demo_data.PAST_EVENT_NAME)
    assert past.date < seeded.date
    assert past.registrants.count() == demo_data.PAST_EVENT_REGISTRANTS


def test_seed_demo_has_every_guest_type_and_every_status(seeded):
    registrants = seeded.registrants.all()
    assert set(registrants.values_list("guest_type", flat=True)) == set(GuestType.values)
    assert set(registrants.values_list("status", flat=True)) == set(Status.values)
    by_type = dict(registrants.values_list("guest_type").annotate(n=Count("id")))
    assert by_type[GuestType.ATTENDEE] > SMALL / 2  # mostly attendees


def test_seed_demo_history_satisfies_the_invariants(seeded):
    assert_invariants()


def test_seed_demo_status_mix_is_roughly_as_designed(db):
    run("seed_demo", registrants=2000, verbosity=0)
    statuses = dict(demo_event().registrants.values_list("status").annotate(n=Count("id")))
    for status, share in demo_data.SEED_STATUS_MIX.items():
        assert abs(statuses[status] / 2000 - share) < 0.04, (status, statuses)
    assert_invariants()


def test_seed_demo_arrivals_are_today_in_the_past_and_entries_follow(db):
    """Demo data makes sense at any hour: tonight's arrivals happened today,
    in the hours before the seed ran, and nothing is stamped in the future."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    before = timezone.now()
    run("seed_demo", registrants=SMALL, verbosity=0)
    after = timezone.now()
    seeded = demo_event()
    assert seeded.date == timezone.localdate(before, timezone=tz)
    first_check_ins = (
        StatusChange.objects.filter(event=seeded, to_status=Status.CHECKED_IN)
        .values("registrant")
        .annotate(first=Min("at"))
    )
    assert first_check_ins
    midnight = datetime.datetime.combine(seeded.date, datetime.time(0), tzinfo=tz)
    for row in first_check_ins:
        assert max(midnight, before - demo_data.ARRIVALS_SPAN) <= row["first"] <= after
    assert not StatusChange.objects.filter(at__gt=after).exists()
    assert not Registrant.objects.filter(created_at__gt=after).exists()
    assert not Registrant.objects.filter(updated_at__gt=after).exists()
    for registrant in seeded.registrants.filter(status=Status.ENTERED)[:50]:
        rows = list(registrant.history.order_by("id"))
        assert [r.at for r in rows] == sorted(r.at for r in rows)
        assert registrant.created_at == rows[0].at


@pytest.mark.parametrize("hour", [0, 1, 9, 17, 23])
def test_seed_demo_at_any_hour_stamps_nothing_in_the_future(db, hour):
    """The arrivals are squeezed into the part of today already gone, even
    just after midnight."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    now = datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 20), tzinfo=tz)
    with mock.patch("django.utils.timezone.now", return_value=now):
        run("seed_demo", registrants=SMALL, verbosity=0)
    seeded = demo_event()
    assert seeded.date == now.date()
    assert not StatusChange.objects.filter(at__gt=now).exists()
    assert StatusChange.objects.filter(event=seeded, to_status=Status.CHECKED_IN).exists()
    midnight = datetime.datetime.combine(seeded.date, datetime.time(0), tzinfo=tz)
    assert not StatusChange.objects.filter(
        event=seeded, to_status=Status.CHECKED_IN, at__lt=midnight
    ).exists()
    assert_invariants()


def test_seed_demo_company_spellings_collapse_and_merge_candidates_exist(seeded):
    assert 250 <= Company.objects.count() <= 350
    keys = {normalize_company_name(n) for n in demo_data.ACME_SPELLINGS}
    assert len(keys) == 1
    acme = Company.objects.get(normalized_name=keys.pop())
    assert acme.name == "Acme Corp"  # the first spelling seen
    assert acme.registrants.count() >= len(demo_data.ACME_SPELLINGS)
    for kept, other in demo_data.LEGAL_FORM_PAIRS:  # "Google" and "Google Inc"
        company = Company.objects.get(normalized_name=normalize_company_name(kept))
        assert company.name == kept
        assert normalize_company_name(other) == company.normalized_name
        assert not Company.objects.filter(name=other).exists()
    assert len(demo_data.MERGE_CANDIDATES) >= 2
    likely = [{d.keep.name, d.absorb.name} for d in likely_duplicate_companies()]
    for kept, other in demo_data.MERGE_CANDIDATES:
        a = Company.objects.get(normalized_name=normalize_company_name(kept))
        b = Company.objects.get(normalized_name=normalize_company_name(other))
        assert a.pk != b.pk
        assert a.registrants.exists() and b.registrants.exists()
        assert {a.name, b.name} in likely


def test_seed_demo_twice_changes_nothing(seeded):
    before = counts()
    out = run("seed_demo", registrants=SMALL, verbosity=0)
    assert "already exists" in out
    assert counts() == before


def test_seed_demo_reset_starts_over(seeded):
    unrelated = Company.objects.create(name="Keep Me", normalized_name="keep me")
    before = counts()
    out = run("seed_demo", registrants=SMALL, reset=True, verbosity=0, seed=7)
    assert "Deleted the demo" in out
    assert demo_event().pk != seeded.pk
    assert counts()["registrants"] == before["registrants"]
    assert counts()["events"] == before["events"]
    assert Company.objects.filter(pk=unrelated.pk).exists()
    assert_invariants()


def test_seed_demo_refuses_too_few_registrants(db):
    with pytest.raises(CommandError, match="at least"):
        run("seed_demo", registrants=3, verbosity=0)
    assert Event.objects.count() == 0


# --- create_user --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_create_user_puts_the_user_in_its_role(role):
    out = run("create_user", f"user-{role}", role=role)
    user = get_user_model().objects.get(username=f"user-{role}")
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert user.is_staff is (role == ORGANISER)
    password = out.strip().splitlines()[-1].removeprefix("Password: ")
    assert user.check_password(password)


@pytest.mark.parametrize("role", [ORGANISER, CHECKIN_STAFF, VIEWER])
def test_create_user_token_is_the_last_line_and_authenticates(role):
    out = run("create_user", "integrator", role=role, password="a-long-password-1", token=True)
    token = out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/events/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/events/").status_code == 401


def test_create_user_refuses_a_duplicate_username():
    run("create_user", "sam", role=CHECKIN_STAFF)
    with pytest.raises(CommandError, match='"sam" already exists'):
        run("create_user", "sam", role=VIEWER)
    assert get_user_model().objects.filter(username="sam").count() == 1


# --- ensure_demo_login ----------------------------------------------------------------


@pytest.fixture
def repo_root(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    return tmp_path


def test_ensure_demo_login_creates_the_organiser_once_and_prints_the_login(repo_root):
    out = run("ensure_demo_login", port=8123)
    login_file = repo_root / ".demo-login"
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in login_file.read_text().splitlines())
    user = get_user_model().objects.get(username=values["username"])
    assert user.is_staff and user.groups.filter(name=ORGANISER).exists()
    assert user.check_password(values["password"])
    assert "http://127.0.0.1:8123/" in out
    assert "/admin/" in out and "/api/docs/" in out
    assert values["username"] in out and values["password"] in out

    again = run("ensure_demo_login")
    assert get_user_model().objects.count() == 1
    assert values["password"] in again and "http://127.0.0.1:8000/" in again


def test_ensure_demo_login_without_its_file_says_an_organiser_exists(repo_root):
    run("create_user", "olga", role=ORGANISER, password="a-long-password-1")
    out = run("ensure_demo_login")
    assert not (repo_root / ".demo-login").exists()
    assert get_user_model().objects.count() == 1
    assert "An organiser already exists" in out
    assert "create_user NAME --role organiser" in out


def test_ensure_demo_login_keeps_its_file_in_demo_login_dir(repo_root, tmp_path_factory, settings):
    settings.DEMO_LOGIN_DIR = str(tmp_path_factory.mktemp("var"))
    out = run("ensure_demo_login")
    kept = Path(settings.DEMO_LOGIN_DIR) / ".demo-login"
    assert not (repo_root / ".demo-login").exists()
    assert kept.read_text().splitlines()[1].split("=", 1)[1] in out


def test_demo_login_file_is_git_ignored():
    gitignore = (django_settings.BASE_DIR / ".gitignore").read_text().splitlines()
    assert any(line.strip().lstrip("/") == ".demo-login" for line in gitignore)
