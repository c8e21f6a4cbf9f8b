"""What every PostgreSQL connection of the application is opened with."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from gateway.backends.postgresql import PostgresBackend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_djangos_connections_run_without_jit():
    # JIT compiled the counters' 3 ms read for 30 ms at a million
    # registrants (docs/decisions/0230).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_the_gateway_pools_connections_run_without_jit():
    conninfo = PostgresBackend()._conninfo()
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SHOW jit").fetchone()[0] == "off"
        assert conn.execute("SHOW application_name").fetchone()[0] == "gateway"
