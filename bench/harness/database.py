"""The throwaway PostgreSQL database of one run, and Django set up against it."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "bench" / "results"
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:55432/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/9"


def database_url(server_url: str, dbname: str) -> str:
    """`server_url` with its database name replaced by `dbname`."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def psycopg_conninfo(url: str) -> str:
    """psycopg accepts postgresql:// URLs; Django's env.db also takes postgres://."""
    return "postgresql://" + url.split("://", 1)[1] if "://" in url else url


def create_database(server_url: str, dbname: str) -> str:
    """Create an empty database; returns the server's version string."""
    admin = database_url(server_url, "postgres")
    with psycopg.connect(psycopg_conninfo(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        row = conn.execute("SHOW server_version").fetchone()
    return row[0] if row else "?"


def drop_database(server_url: str, dbname: str) -> None:
    """Drop the database, disconnecting whoever is still connected (PG 13+)."""
    admin = database_url(server_url, "postgres")
    with psycopg.connect(psycopg_conninfo(admin), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def app_environment(
    db_url: str, redis_url: str, throttle_rate: str | None = None
) -> dict[str, str]:
    """The environment both this process and the servers run Django with.
    `throttle_rate` sets SCAN_THROTTLE_RATE; None or "app" keep the default."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    if throttle_rate and throttle_rate != "app":
        env["SCAN_THROTTLE_RATE"] = throttle_rate
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process against the bench database."""
    os.environ.update(env)
    # WhiteNoise warns that collectstatic never ran; the API does not care.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def close_django_connections() -> None:
    """Close this process's Django connections, if Django was set up."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def redact(url: str) -> str:
    """A URL without its password."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2 and ":" in netloc[0]:
        netloc[0] = netloc[0].split(":", 1)[0] + ":***"
    return urlunsplit((parts.scheme, "@".join(netloc), parts.path, parts.query, ""))


def run_in_throwaway_database(server_url: str, dbname: str, run: Callable[[], Any]) -> Any:
    """Point Django (DATABASE_URL, no Redis) at a new database `dbname` on the
    server of `server_url`, call `run()`, then close every connection and
    drop the database, also when `run` fails; returns what `run` returned."""
    os.environ["DATABASE_URL"] = database_url(server_url, dbname)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    create_database(server_url, dbname)
    try:
        return run()
    finally:
        close_django_connections()
        drop_database(server_url, dbname)
