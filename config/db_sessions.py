"""Sessions kept in the database table, read with a statement compiled once
(settings' SESSION_ENGINE without Redis; config.sessions reads the table
through it when its cache has no copy).

Every logged-in request reads its session. Django's store builds that
query with the ORM each time, which cost more than running it (0.7 ms of
Python against a lookup by primary key); the statement is the ORM's own,
compiled once per database and session model.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

# Compiled with these, then run with the session's key and the time now.
_KEY = "k" * 32
_NOW = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@functools.cache
def _statement(model: Any, alias: str, vendor: str) -> str:
    """The session lookup's SQL: its parameters are the key and the time now.
    `vendor` only keys the cache."""
    # Two filters: one call's keywords are sorted, and the key comes first.
    query = model._default_manager.filter(session_key=_KEY).filter(expire_date__gt=_NOW)
    sql, params = query.query.get_compiler(using=alias).as_sql()
    if len(params) != 2 or params[0] != _KEY:
        raise RuntimeError("the session statement's parameters must be the key and the time")
    return sql


class SessionStore(db.SessionStore):
    """Django's database session store with a precompiled lookup."""

    def _get_session_from_db(self) -> Any | None:
        key = self.session_key
        if key is not None:
            alias = router.db_for_read(self.model)
            connection = connections[alias]
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            sql = _statement(self.model, alias, connection.vendor)
            found = list(self.model._default_manager.raw(sql, (key, now), using=alias))
            if found:
                return found[0]
        # As Django's store: a key with no live row is forgotten, so that
        # saving starts a new session instead of writing under a stale key.
        self._session_key = None
        return None
