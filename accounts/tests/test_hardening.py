"""Production refuses the published secret key; the SQLite file is owner-only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from config.settings.base import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


def import_production_settings(secret_key: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "dashboard.example.com"}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings.production"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("key", [DEVELOPMENT_SECRET_KEY, "change-me"])
def test_production_settings_refuse_the_published_secret_key(key):
    result = import_production_settings(key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is the development key published in the repository" in result.stderr


def test_production_settings_accept_a_secret_key_of_their_own():
    result = import_production_settings("a-fresh-secret-" + "x7Q" * 20)
    assert result.returncode == 0, result.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_its_wal_files_are_owner_only(tmp_path, django_db_blocker):
    """Not the test database: a fresh file, as `make run` creates it."""
    path = tmp_path / "db.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
            }
        }
    )
    connection = handler["default"]
    old_umask = os.umask(0o022)  # the usual umask: files 0644, readable by all
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x integer)")
            cursor.execute("INSERT INTO t VALUES (1)")
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(f.exists() for f in files)  # the connection is open: WAL in use
            assert [oct(mode(f)) for f in files] == [oct(0o600)] * 3
    finally:
        os.umask(old_umask)
        connection.close()


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path, django_db_blocker):
    path = tmp_path / "old.sqlite3"
    path.touch()
    path.chmod(0o644)
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    )
    with django_db_blocker.unblock():
        handler["default"].ensure_connection()
        handler["default"].close()
    assert mode(path) == 0o600
