"""API tokens are stored as hashes; the key is shown once; the admin's
deactivation (a queryset update) takes effect on the next request."""

from __future__ import annotations

import importlib
import re
from io import StringIO
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import generation
from accounts.models import ApiToken
from accounts.tokens import hash_key, token_create
from registrants.roles import CHECKIN_STAFF
from registrants.tests.factories import make_user


def api_status(key: str) -> int:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/api/v1/events/").status_code


def test_only_the_hash_of_a_key_is_stored(db):
    token, key = token_create(user=make_user("sam", CHECKIN_STAFF))
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(value) for value in stored.values()}
    assert stored["key_hash"] == hash_key(key)
    assert api_status(key) == 200


def test_create_user_prints_a_working_key_once(db):
    out = StringIO()
    call_command("create_user", "desk1", "--role", CHECKIN_STAFF, "--token", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert api_status(key) == 200
    assert not ApiToken.objects.filter(key_prefix=key).exists()  # not the key itself


def test_the_admin_shows_a_new_key_once_and_it_works(db):
    root = get_user_model().objects.create_superuser("root", password="pw-root-123")
    staff = make_user("sam", CHECKIN_STAFF)
    admin = Client()
    admin.force_login(root)
    r = admin.post("/admin/accounts/apitoken/add/", {"user": staff.pk}, follow=True)
    key = re.search(r"(rdt_[\w-]+)", r.content.decode()).group(1)
    assert api_status(key) == 200
    listing = admin.get("/admin/accounts/apitoken/").content.decode()
    assert key not in listing


def test_deactivating_users_in_the_admin_refuses_their_tokens_at_once(
    db, django_capture_on_commit_callbacks
):
    root = get_user_model().objects.create_superuser("root", password="pw-root-123")
    staff = make_user("sam", CHECKIN_STAFF)
    _, key = token_create(user=staff)
    assert api_status(key) == 200
    assert api_status(key) == 200  # cached
    admin = Client()
    admin.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            "/admin/auth/user/", {"action": "deactivate_users", "_selected_action": [staff.pk]}
        )
    assert api_status(key) == 401


def test_a_login_does_not_move_the_generation(db, django_capture_on_commit_callbacks):
    """A login writes last_login only: cached tokens stay cached."""
    staff = make_user("sam", CHECKIN_STAFF)
    with django_capture_on_commit_callbacks(execute=True):
        before = generation.current()
        staff.save(update_fields=["last_login"])
        assert generation.current() == before
        staff.save()
    assert generation.current() != before  # moved (with Redis at once and again after commit)


def test_the_migration_hashes_existing_plain_tokens_which_keep_working(db):
    """A database of the previous version: DRF's table with the key in clear."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("accounts.migrations.0001_initial")
    staff = make_user("sam", CHECKIN_STAFF)
    plain = "0123456789abcdef0123456789abcdef01234567"  # DRF's format
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
            if connection.vendor == "postgresql"
            else 'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
            "created datetime NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [plain, timezone.now(), staff.pk]
        )
    migration.hash_existing_tokens(apps, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0  # no key left in clear
    assert ApiToken.objects.get(user=staff).key_hash == hash_key(plain)
    assert api_status(plain) == 200
