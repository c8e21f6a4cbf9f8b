# ruff: noqa: S608, S611  (table and column names are this module's constants; the term a parameter)
"""The registrant search's index on SQLite: an FTS5 table of trigrams over
each registrant's folded name and email (docs/decisions/0270).

SQLite has no trigram index and folds while it reads (registrants/search.py),
so a rare term read every row of the event: about 450 ms at 100,000
registrants. FTS5's trigram tokenizer (SQLite 3.34+) indexes every run of
three characters; a phrase query of a term's trigrams in a row finds exactly
the values that contain the term. Its own accent folding needs SQLite 3.45,
so the table holds the values folded by rd_fold (the search's fold) and is
queried with the term folded by the same function, case-sensitively: what
matches is what `rd_fold(value) LIKE '%term%'` matched.

Triggers keep the table in the transaction of each write, whoever writes
(the ORM, registrants/sql, imports, the gateway, erasure, merges). Those of
INSERT and of UPDATE OF name, email call rd_fold, which search.py registers
on every Django connection: a bare sqlite3 connection (the sqlite3 shell,
`manage.py dbshell`) cannot add a registrant or change a name or email
(docs/operations.md); it may still delete rows and change anything else.
A migration that rebuilds the registrant table on SQLite (an AlterField)
drops the triggers with the old table: it must call `install` again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models.expressions import RawSQL

from .normalization import fold_text

TABLE = "registrants_registrant_search"
# While it holds a row (only ever inside one write transaction, which SQLite
# runs alone), the insert trigger leaves the new rows to `bulk_insert`.
BULK = "registrants_registrant_search_bulk"
REGISTRANTS = "registrants_registrant"
FOLD = "rd_fold"
# FTS5's trigram tokenizer came with SQLite 3.34 (Django 5.2 accepts 3.31):
# older libraries keep no index and every search scans, as before 0023.
AVAILABLE = sqlite3.sqlite_version_info >= (3, 34)
# A trigram index finds nothing shorter than its trigrams.
MIN_LENGTH = 3
# More matches than this: reading the rows finds a page sooner (`common`).
MAX_MATCHES = 5000

_TRIGGERS = ["registrant_search_ins", "registrant_search_upd", "registrant_search_del"]
UNINSTALL = [f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS] + [
    f"DROP TABLE IF EXISTS {TABLE}",
    f"DROP TABLE IF EXISTS {BULK}",
]

# The rowid is the registrant's id. `case_sensitive 1`: the values and the
# term are folded already, and the tokenizer's own case folding (of ASCII
# and some scripts only) must not widen what matches.
_CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(name, email, tokenize = 'trigram case_sensitive 1')"
)
_ROW = f"{FOLD}(NEW.name), {FOLD}(NEW.email)"
# One phrase of the term's trigrams, which the index finds in a value only
# where the whole term is. Inside an FTS5 phrase's quotes only a quote is
# special (doubled); the term is a parameter, folded by rd_fold in the query.
_MATCHING = (
    f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH"
    f" '\"' || replace({FOLD}(%s), '\"', '\"\"') || '\"'"
)


def install_sql() -> list[str]:
    """The statements that (re)create the table, fill it from the rows and
    (re)create the triggers that keep it."""
    return [
        *UNINSTALL,
        _CREATE,
        f"CREATE TABLE {BULK} (bulk integer NOT NULL)",
        f"INSERT INTO {TABLE} (rowid, name, email)"
        f" SELECT id, {FOLD}(name), {FOLD}(email) FROM {REGISTRANTS}",
        f"CREATE TRIGGER registrant_search_ins AFTER INSERT ON {REGISTRANTS}"
        f" WHEN NOT EXISTS (SELECT 1 FROM {BULK}) BEGIN"
        f" INSERT INTO {TABLE} (rowid, name, email) VALUES (NEW.id, {_ROW}); END",
        # A new id (never done by the product) moves the row; the delete
        # first, so that the insert never meets the row it replaces.
        f"CREATE TRIGGER registrant_search_upd AFTER UPDATE OF id, name, email ON {REGISTRANTS}"
        f" BEGIN DELETE FROM {TABLE} WHERE rowid = OLD.id;"
        f" INSERT INTO {TABLE} (rowid, name, email) VALUES (NEW.id, {_ROW}); END",
        f"CREATE TRIGGER registrant_search_del AFTER DELETE ON {REGISTRANTS} BEGIN"
        f" DELETE FROM {TABLE} WHERE rowid = OLD.id; END",
    ]


def install(connection: BaseDatabaseWrapper) -> None:
    """On SQLite, (re)build the index from the rows and (re)create its
    triggers; nothing elsewhere (PostgreSQL has trigram indexes) or on a
    SQLite older than 3.34 (AVAILABLE)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in install_sql() if AVAILABLE else UNINSTALL:
            cursor.execute(statement)


@contextmanager
def bulk_insert(cursor: CursorWrapper, *, above_id: int) -> Iterator[None]:
    """Index the registrants inserted inside the block (their ids all above
    `above_id`) in one statement at its end, rather than row by row in the
    trigger: 4 to 6 times cheaper, and an import's final step holds
    SQLite's only write lock while it runs. Inside the caller's write
    transaction; nothing on PostgreSQL."""
    if cursor.db.vendor != "sqlite" or not AVAILABLE:
        yield
        return
    cursor.execute(f"INSERT INTO {BULK} (bulk) VALUES (1)")
    try:
        yield
        cursor.execute(
            f"INSERT INTO {TABLE} (rowid, name, email) SELECT id, {FOLD}(name), {FOLD}(email)"
            f" FROM {REGISTRANTS} WHERE id > %s",
            [above_id],
        )
    finally:
        cursor.execute(f"DELETE FROM {BULK}")


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """On SQLite, drop the triggers and the index."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in UNINSTALL:
            cursor.execute(statement)


def usable(term: str) -> bool:
    """Whether the index can answer `term`: three characters or more once
    folded (the length rd_fold gives, which may differ from the term's) and
    no NUL character, which would end the query's string early."""
    return AVAILABLE and len(fold_text(term)) >= MIN_LENGTH and "\x00" not in term


def common(term: str) -> bool:
    """Whether more than MAX_MATCHES values contain `term` (`usable(term)`
    must hold): the index finds them all before the list picks its page,
    while the rows newest first, read and folded one by one, hold a page of
    them early ("example" in every email: 480 ms found by the index, 24 ms
    by reading the rows). Stops counting past MAX_MATCHES."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({_MATCHING} LIMIT {MAX_MATCHES + 1})", (term,))
        (found,) = cursor.fetchone()
    return found > MAX_MATCHES


def matching_ids(term: str) -> RawSQL:
    """The ids of the registrants whose folded name or email contains the
    folded `term` (`usable(term)` must hold)."""
    return RawSQL(_MATCHING, (term,))


def merge_segments() -> None:
    """On SQLite, merge the index's segments into one. FTS5 keeps what a
    changed row held in its older segments until they merge: after an
    erasure no trigram of the erased names and emails stays in the index
    (about 0.3 s at 100,000 registrants). Nothing elsewhere."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "sqlite" and AVAILABLE:
        with db.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
