"""H1-H6: the status history is complete, append-only and correct.

H1 a failed history insert changes no status; H2 a bulk check-in of 5,000
writes one row per real change; H3 only the writers (registrants.services
and registrants.sql) write statuses, history and receipts (a source scan); H4 history rows cannot be edited or deleted through the model
or the database; H5 actor and source are right on every row; H6 a
randomised model test of the lifecycle.
"""

from __future__ import annotations

import ast
import datetime
import fnmatch
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from registrants import selectors, services
from registrants.errors import ApplicationError
from registrants.lifecycle import ScanMode, Status
from registrants.models import Event, Registrant, ScanReceipt, Source, StatusChange
from registrants.sql.history import HISTORY_COLUMNS, history_insert
from registrants.tests.design import DESIGN_CORRECTIONS, DESIGN_MOVES
from registrants.tests.factories import EventFactory, make_registrant, make_user
from registrants.tests.invariants import (
    assert_invariants,
    fresh_status_counts,
    history_violations,
)


def _rows(registrant) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(registrant_id=registrant.pk)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


class InjectedFailure(Exception):
    pass


# --- H1: a failure injected into the history insert ------------------------------


def _fail_after_insert(monkeypatch, *, on_call: int = 1) -> list:
    """Make the history writers raise right after their `on_call`-th row is
    inserted: services' _record (one row a call) and _record_many
    (the bulk change's, several rows a call, counted row by row)."""
    real_record, real_record_many = services.transitions._record, services.bulk._record_many
    calls: list = []

    def record(*args, **kwargs):
        change = real_record(*args, **kwargs)
        calls.append(change.pk)
        if len(calls) >= on_call:
            raise InjectedFailure(f"history insert {len(calls)} failed")
        return change

    def record_many(*args, **kwargs):
        changes = real_record_many(*args, **kwargs)
        calls.extend(c.pk for c in changes)
        if len(calls) >= on_call:
            raise InjectedFailure(f"history insert {len(calls)} failed")
        return changes

    # Patched where each is called: registration and transitions call _record.
    monkeypatch.setattr(services.transitions, "_record", record)
    monkeypatch.setattr(services.registration, "_record", record)
    monkeypatch.setattr(services.bulk, "_record_many", record_many)
    return calls


def _fail_before_insert(monkeypatch) -> None:
    """Make the history insert itself raise (StatusChange.objects.create, and
    the bulk change's StatusChange.objects.bulk_create)."""

    def create(*args, **kwargs):
        raise DatabaseError("injected: history insert refused")

    monkeypatch.setattr(StatusChange.objects, "create", create)
    monkeypatch.setattr(StatusChange.objects, "bulk_create", create)


CHANGES = [
    # (starting status, what is done, expected failure point)
    (
        "registered",
        lambda r: services.registrant_change_status(
            registrant_id=r.pk, to_status=Status.CHECKED_IN
        ),
    ),
    (
        "checked_in",
        lambda r: services.registrant_change_status(
            registrant_id=r.pk, to_status=Status.REGISTERED
        ),
    ),
    (
        "cancelled",
        lambda r: services.registrant_change_status(
            registrant_id=r.pk, to_status=Status.REGISTERED
        ),
    ),
    (
        "registered",
        lambda r: services.registrant_scan(
            code=r.check_in_code, mode=ScanMode.DESK, event_id=r.event_id
        ),
    ),
    (
        "entered",
        lambda r: services.registrant_scan(
            code=r.check_in_code, mode=ScanMode.EXIT, event_id=r.event_id
        ),
    ),
    (
        "registered",
        lambda r: services.registrants_bulk_change_status(
            registrant_ids=[r.pk], to_status=Status.CANCELLED
        ),
    ),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("start", "change"), CHANGES)
@pytest.mark.parametrize("inject", [_fail_after_insert, _fail_before_insert])
def test_failed_history_insert_leaves_the_status_unchanged(monkeypatch, start, change, inject):
    """H1: the status and its history row commit together or not at all."""
    registrant = make_registrant(EventFactory(capacity=10), status=start)
    rows_before = _rows(registrant)
    inject(monkeypatch)
    with pytest.raises((InjectedFailure, DatabaseError)):
        change(registrant)
    registrant.refresh_from_db()
    assert registrant.status == start
    assert _rows(registrant) == rows_before
    assert_invariants()


@pytest.mark.django_db(transaction=True)
def test_failed_second_history_insert_of_an_entry_scan_undoes_the_check_in_too(monkeypatch):
    """H1: a door scan of a registered person writes two rows; if the second
    fails, the first step (the check-in) is rolled back with it."""
    registrant = make_registrant(EventFactory(capacity=10))
    rows_before = _rows(registrant)
    calls = _fail_after_insert(monkeypatch, on_call=2)
    with pytest.raises(InjectedFailure):
        services.registrant_scan(
            code=registrant.check_in_code, mode=ScanMode.ENTRY, event_id=registrant.event_id
        )
    assert len(calls) == 2
    registrant.refresh_from_db()
    assert registrant.status == Status.REGISTERED
    assert _rows(registrant) == rows_before
    assert_invariants()


@pytest.mark.django_db(transaction=True)
def test_failed_creation_history_insert_leaves_no_registrant_and_no_company(monkeypatch):
    """H1: a registration whose creation row fails leaves nothing behind."""
    from registrants.models import Company

    event = EventFactory(capacity=10)
    _fail_after_insert(monkeypatch)
    with pytest.raises(InjectedFailure):
        services.registrant_register(
            event_id=event.pk, name="Grace", email="grace@example.com", company_name="Navy"
        )
    assert not Registrant.objects.exists()
    assert not StatusChange.objects.exists()
    assert not Company.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_failure_in_the_middle_of_a_bulk_change_keeps_every_committed_row_paired(monkeypatch):
    """H1: each chunk of a bulk change is its own transaction; with chunks of
    two, a failure on the third row (in the second chunk) leaves the first
    chunk changed with its rows and the rest untouched, the third row's
    chunk-mate included."""
    event = EventFactory(capacity=10)
    registrants = [make_registrant(event) for _ in range(5)]
    monkeypatch.setattr(services.bulk, "BULK_CHUNK_SIZE", 2)
    _fail_after_insert(monkeypatch, on_call=3)
    with pytest.raises(InjectedFailure):
        services.registrants_bulk_change_status(
            registrant_ids=[r.pk for r in registrants], to_status=Status.CHECKED_IN
        )
    statuses = [Registrant.objects.get(pk=r.pk).status for r in registrants]
    assert statuses == [Status.CHECKED_IN] * 2 + [Status.REGISTERED] * 3
    assert_invariants()


# --- H2: bulk check-in of 5,000 --------------------------------------------------

BULK = 5000
BULK_ALREADY_IN = 600
BULK_CANCELLED = 150


def _bulk_population(event: Event) -> list[Registrant]:
    """5,000 registrants with the history service calls would have written.

    Built with bulk_create because 5,000 registrant_register calls (plus the
    walks to checked_in and cancelled) would take most of the time budget of
    the whole suite; the rows written are exactly what the services write
    (creation row, then one row per move), and I1/I2 are checked on them
    before the bulk action runs.
    """
    now = timezone.now()

    def status_of(i: int) -> str:
        if i < BULK_ALREADY_IN:
            return Status.CHECKED_IN
        if i < BULK_ALREADY_IN + BULK_CANCELLED:
            return Status.CANCELLED
        return Status.REGISTERED

    registrants = Registrant.objects.bulk_create(
        Registrant(event=event, name=f"Bulk {i}", email=f"bulk{i}@example.com", status=status_of(i))
        for i in range(BULK)
    )
    history = []
    for r in registrants:
        history.append(
            StatusChange(
                registrant=r,
                event=event,
                from_status="",
                to_status=Status.REGISTERED,
                at=now,
                source=Source.IMPORT,
            )
        )
        if r.status != Status.REGISTERED:
            history.append(
                StatusChange(
                    registrant=r,
                    event=event,
                    from_status=Status.REGISTERED,
                    to_status=r.status,
                    at=now,
                    source=Source.DASHBOARD,
                )
            )
    StatusChange.objects.bulk_create(history, batch_size=2000)
    assert history_violations([event.pk]) == []
    return registrants


@pytest.mark.django_db
def test_bulk_check_in_of_five_thousand_writes_one_row_per_real_change():
    """H2: one history row per registrant really checked in, none for those
    already checked in (no-ops) or refused (cancelled: invalid_transition)."""
    organiser = make_user("bulk-olga", None)
    event = EventFactory(capacity=BULK)
    registrants = _bulk_population(event)
    ids = [r.pk for r in registrants]
    rows_before = StatusChange.objects.count()
    started = timezone.now()

    results = services.registrants_bulk_change_status(
        registrant_ids=ids + ids[:100],  # repeated ids are handled once
        to_status=Status.CHECKED_IN,
        actor=organiser,
        source=Source.DASHBOARD,
    )

    to_change = BULK - BULK_ALREADY_IN - BULK_CANCELLED
    assert len(results) == BULK
    assert sum(r.ok and r.changed for r in results) == to_change
    assert sum(r.ok and not r.changed for r in results) == BULK_ALREADY_IN
    refused = [r for r in results if not r.ok]
    assert len(refused) == BULK_CANCELLED
    assert {r.error_code for r in refused} == {"invalid_transition"}
    new_rows = StatusChange.objects.filter(at__gte=started)
    assert StatusChange.objects.count() - rows_before == to_change == new_rows.count()
    assert set(new_rows.values_list("from_status", "to_status", "actor", "source")) == {
        (Status.REGISTERED, Status.CHECKED_IN, organiser.pk, Source.DASHBOARD)
    }
    assert new_rows.values("registrant").distinct().count() == to_change
    assert_invariants()
    assert selectors.event_stats(event=event)["by_status"] == fresh_status_counts(event.pk)


# --- H3: only the writers write a status, history or a receipt ---------------------

ROOT = Path(settings.BASE_DIR)
# The writers: the ORM services and the SQL statements of the fast paths
# (the gateway, the SQLite import and the seeders execute registrants.sql's
# statements). A module or a package of modules each; nothing else may
# write a registrant's status, a history row or a scan receipt.
# registrants/api/idempotency.py: the API's nonce receipts (an answer cache
# around the scan service, claimed in the scan's own transaction).
WRITERS = ("registrants/services*", "registrants/sql*", "registrants/api/idempotency.py")
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "staticfiles", "__pycache__"}
# Modules whose `.update(status=...)` sets another model's own status: an
# e-mail's delivery status (mail.Message.status), never a registrant's. Only
# that one finding is waived there; every other write is still looked for.
OTHER_MODELS_STATUS_UPDATE = {"mail/sending.py", "mail/receivers.py"}
SQL_STATUS_WRITE = re.compile(r"\bSET\b[^;]*?(?<![\w.])\"?status\"?\s*=(?!=)", re.I | re.S)
# The tables only the writers write, by model (ORM) and by table (SQL).
WRITTEN_MODELS = ("StatusChange", "ScanReceipt")
WRITTEN_TABLES = (StatusChange._meta.db_table, ScanReceipt._meta.db_table)
SQL_TABLE_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+(\S+)", re.I)
ORM_WRITES = (".create", ".bulk_create", ".get_or_create", ".update_or_create", ".update")


def _is_writer(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in WRITERS)


def _project_sources() -> list[Path]:
    """Every .py file of the project, outside tests/, migrations/, the venv
    and hidden directories (conftest.py files are test code too). Skipped
    directories are not walked at all: the venv alone holds most of the
    tree's files."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        found += [
            Path(folder, name) for name in files if name.endswith(".py") and name != "conftest.py"
        ]
    return sorted(found)


def _names_status(node: ast.AST | None) -> bool:
    """A literal "status", or a list/tuple/set holding one."""
    if isinstance(node, ast.Constant):
        return node.value == "status"
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_names_status(e) for e in node.elts)
    return False


def _call_writes_status(node: ast.Call) -> str | None:
    func = ast.unparse(node.func)
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if func.endswith(".update") and "status" in keywords:
        return "status= in .update()"
    if _names_status(keywords.get("update_fields")):
        return '"status" in update_fields'
    if func.endswith("bulk_update") and (
        _names_status(keywords.get("fields")) or any(_names_status(a) for a in node.args[1:])
    ):
        return '"status" in bulk_update fields'
    if func == "setattr" and len(node.args) > 1 and _names_status(node.args[1]):
        return 'setattr(..., "status", ...)'
    if "status" in keywords and (
        func == "Registrant" or ("Registrant" in func and func.endswith("create"))
    ):
        return "Registrant created with a status"
    if func.endswith("update_or_create") and isinstance(keywords.get("defaults"), ast.Dict):
        if any(_names_status(k) for k in keywords["defaults"].keys):
            return '"status" in update_or_create defaults'
    return None


def status_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place in `source` that writes a status."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and sub.attr == "status":
                    found.append((node.lineno, ".status = ..."))
        if isinstance(node, ast.Call) and (what := _call_writes_status(node)):
            found.append((node.lineno, what))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_STATUS_WRITE.search(node.value)
        ):
            found.append((node.lineno, "SQL SET status ="))
    return found


def _sql_text(node: ast.AST) -> str | None:
    """A string constant, or an f-string with each {expression} kept as text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(v.value) if isinstance(v, ast.Constant) else "{" + ast.unparse(v) + "}"
            for v in node.values
        )
    return None


def _table_aliases(tree: ast.AST) -> set[str]:
    """Names bound to a written table's name (H = StatusChange._meta.db_table)."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(f"{m}._meta.db_table" in ast.unparse(node.value) for m in WRITTEN_MODELS)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _writes_table(target: str, aliases: set[str]) -> bool:
    expressions = re.findall(r"\{([^{}]*)\}", target)
    return (
        any(table in target for table in WRITTEN_TABLES)
        or any(e.strip() in aliases for e in expressions)
        or any(m in e for e in expressions for m in WRITTEN_MODELS)
    )


def table_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place in `source` that writes a status (as
    status_writes finds them), a history row or a scan receipt."""
    tree = ast.parse(source)
    aliases = _table_aliases(tree)
    found = set(status_writes(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            model = next((m for m in WRITTEN_MODELS if m in func), None)
            if model and (func == model or func.endswith(ORM_WRITES)):
                found.add((node.lineno, f"{model} written through the ORM"))
        text = _sql_text(node)
        if text is not None:
            for target in SQL_TABLE_WRITE.findall(text):
                if _writes_table(target, aliases):
                    found.add((node.lineno, "SQL writing history or receipts"))
    return sorted(found)


def test_status_history_and_receipts_are_written_only_by_the_writers():
    """H3: no module but the writers (WRITERS) writes a registrant's status,
    a history row or a scan receipt, through the ORM or in SQL."""
    sources = _project_sources()
    names = [path.relative_to(ROOT).as_posix() for path in sources]
    assert any(_is_writer(name) for name in names)
    offenders = []
    for path, name in zip(sources, names, strict=True):
        if not _is_writer(name):
            writes = table_writes(path.read_text(encoding="utf-8"))
            if name in OTHER_MODELS_STATUS_UPDATE:
                writes = [(line, what) for line, what in writes if what != "status= in .update()"]
            offenders += [f"{name}:{line}: {what}" for line, what in writes]
    assert offenders == []


def test_status_write_scan_finds_the_writes_in_the_writers():
    """H3: the scan is not blind: the real writes are found where they are."""
    found = {
        what
        for path in _project_sources()
        if _is_writer(path.relative_to(ROOT).as_posix())
        for _, what in table_writes(path.read_text(encoding="utf-8"))
    }
    assert {
        ".status = ...",
        '"status" in update_fields',
        "SQL SET status =",
        "StatusChange written through the ORM",
        "ScanReceipt written through the ORM",
        "SQL writing history or receipts",
    } <= found


@pytest.mark.parametrize(
    ("code", "what"),
    [
        (
            "StatusChange.objects.create(from_status=a, to_status=b)",
            "StatusChange written through the ORM",
        ),
        ("StatusChange.objects.bulk_create(rows)", "StatusChange written through the ORM"),
        ("StatusChange(registrant=r, to_status=s)", "StatusChange written through the ORM"),
        (
            "ScanReceipt.objects.filter(pk=1).update(response={})",
            "ScanReceipt written through the ORM",
        ),
        (
            "cursor.execute('INSERT INTO registrants_statuschange (note) VALUES (%s)')",
            "SQL writing history or receipts",
        ),
        (
            "H = StatusChange._meta.db_table\nsql = f'INSERT INTO {H} (note) VALUES (1)'",
            "SQL writing history or receipts",
        ),
        (
            "sql = f'DELETE FROM {_q(StatusChange._meta.db_table)} WHERE id = 1'",
            "SQL writing history or receipts",
        ),
        (
            "RC = ScanReceipt._meta.db_table\nsql = f'UPDATE {RC} SET response = %s'",
            "SQL writing history or receipts",
        ),
        (
            "cursor.copy(f'COPY {ScanReceipt._meta.db_table} (nonce) FROM STDIN')",
            "SQL writing history or receipts",
        ),
    ],
)
def test_table_write_scan_recognises_history_and_receipt_writes(code, what):
    assert [w for _, w in table_writes(code)] == [what]


@pytest.mark.parametrize(
    "code",
    [
        "StatusChange.objects.filter(registrant_id=1).order_by('-id').first()",
        "H = StatusChange._meta.db_table\nsql = f'SELECT at FROM {H} h WHERE h.id = %s'",
        "sql = f'SELECT id FROM {R} r WHERE r.id = %s FOR UPDATE OF r'",
        "cursor.execute('INSERT INTO gateway_scanconflict (code) VALUES (%s)')",
    ],
)
def test_table_write_scan_ignores_reads_and_other_tables(code):
    assert table_writes(code) == []


def test_the_history_columns_are_declared_once_and_match_the_model():
    """registrants.sql builds every SQL history insert from HISTORY_COLUMNS."""
    model = [str(f.column) for f in StatusChange._meta.concrete_fields if f.column != "id"]
    assert list(HISTORY_COLUMNS) == model
    with pytest.raises(ValueError):
        history_insert({"registrant_id": "1"})


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("registrant.status = 'entered'", ".status = ..."),
        ("obj.status: str = s", ".status = ..."),
        ("a = r.status = 'x'", ".status = ..."),
        ("Registrant.objects.filter(pk=1).update(status='entered')", "status= in .update()"),
        ("qs.update(\n    updated_at=now,\n    status=Status.ENTERED,\n)", "status= in .update()"),
        ("r.save(update_fields=['status'])", '"status" in update_fields'),
        ("r.save(update_fields=('name', 'status'))", '"status" in update_fields'),
        ("Registrant.objects.bulk_update(rs, ['status'])", '"status" in bulk_update fields'),
        ("Registrant.objects.bulk_update(rs, fields=['status'])", '"status" in bulk_update fields'),
        ("setattr(r, 'status', 'x')", 'setattr(..., "status", ...)'),
        (
            "Registrant.objects.create(name='a', status='entered')",
            "Registrant created with a status",
        ),
        ("Registrant(name='a', status='entered')", "Registrant created with a status"),
        (
            "R.objects.update_or_create(pk=1, defaults={'status': 'x'})",
            '"status" in update_or_create defaults',
        ),
        ("cursor.execute('UPDATE registrants_registrant SET status = %s')", "SQL SET status ="),
        ('sql = """update t set name = %s,\n "status" = %s"""', "SQL SET status ="),
    ],
)
def test_status_write_scan_recognises_every_kind_of_write(code, what):
    assert [w for _, w in status_writes(code)] == [what]


@pytest.mark.parametrize(
    "code",
    [
        "return Response(body, status=201)",
        "if registrant.status == 'entered': pass",
        "StatusChange.objects.create(from_status=a, to_status=b)",
        "qs.filter(status='entered').update(updated_at=now)",
        "job.save(update_fields=['http_status', 'response'])",
        "cursor.execute('SELECT id FROM t WHERE to_status = %s')",
        "cursor.execute('UPDATE t SET to_status = %s')",
        "data = {'status': registrant.status}",
        "Registrant.objects.filter(event_id=1, status='exited').count()",
        "Registrant.objects.exclude(status='cancelled')",
    ],
)
def test_status_write_scan_ignores_reads_and_other_status_fields(code):
    assert status_writes(code) == []


# --- H4: history cannot be edited or deleted -----------------------------------------


@pytest.fixture
def history_row(db):
    registrant = make_registrant(EventFactory(capacity=10), status=Status.CHECKED_IN)
    return StatusChange.objects.filter(registrant=registrant).order_by("-id").first()


def _snapshot():
    return list(StatusChange.objects.order_by("id").values())


@pytest.mark.django_db
def test_saving_an_existing_history_row_is_refused(history_row):
    """H4: model save on an existing row raises; 0 rows changed."""
    before = _snapshot()
    history_row.to_status = Status.ENTERED
    with pytest.raises(ValueError):
        history_row.save()
    with pytest.raises(ValueError):
        history_row.save(update_fields=["to_status"])
    with pytest.raises(ValueError):
        history_row.save(force_update=True)
    with pytest.raises(DatabaseError), transaction.atomic():
        history_row.save(force_insert=True)  # same primary key: refused by the database
    assert _snapshot() == before


@pytest.mark.django_db
def test_deleting_a_history_row_through_the_model_is_refused(history_row):
    """H4: Model.delete raises; the row stays."""
    before = _snapshot()
    with pytest.raises(ValueError):
        history_row.delete()
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "edit",
    [
        lambda row: StatusChange.objects.filter(pk=row.pk).update(to_status=Status.ENTERED),
        lambda row: StatusChange.objects.all().update(note="rewritten"),
        lambda row: StatusChange.objects.filter(pk=row.pk).update(at=timezone.now()),
        lambda row: StatusChange.objects.bulk_update(
            [StatusChange(pk=row.pk, note="rewritten")], ["note"]
        ),
    ],
    ids=["update_to_status", "update_all_notes", "update_at", "bulk_update"],
)
def test_queryset_updates_of_history_are_refused_by_the_database(history_row, edit):
    """H4: the database trigger refuses UPDATE, whatever the ORM path; 0 rows changed."""
    before = _snapshot()
    with pytest.raises(DatabaseError), transaction.atomic():
        edit(history_row)
    assert _snapshot() == before


@pytest.mark.django_db
def test_raw_sql_update_of_history_is_refused_by_the_database(history_row):
    """H4: the trigger holds below the ORM too."""
    before = _snapshot()
    table = StatusChange._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET to_status = %s WHERE id = %s", ["entered", history_row.pk]
        )
    assert _snapshot() == before


# --- H5: actor and source on every row ------------------------------------------------


@pytest.mark.django_db
def test_every_history_row_carries_the_actor_and_source_of_its_call():
    """H5: a mix of every service that writes history, with different actors
    and sources: 100 % of the rows carry the right ones, in order."""
    olga, sam = make_user("h5-olga", None), make_user("h5-sam", None)
    event = EventFactory(capacity=10)
    expected: list[tuple[int | None, str]] = []

    def register(actor, source):
        expected.append((actor.pk if actor else None, source))
        return services.registrant_register(
            event_id=event.pk,
            name="Ada",
            email=f"ada{len(expected)}@example.com",
            actor=actor,
            source=source,
        )

    a = register(olga, Source.IMPORT)
    b = register(None, Source.SYSTEM)
    c = register(sam, Source.API)
    services.registrant_change_status(
        registrant_id=a.pk, to_status=Status.CHECKED_IN, actor=sam, source=Source.DASHBOARD
    )
    expected.append((sam.pk, Source.DASHBOARD))
    services.registrant_scan(
        code=b.check_in_code, mode=ScanMode.ENTRY, event_id=b.event_id, actor=sam
    )
    expected += [(sam.pk, Source.SCAN)] * 2  # checked in and entered
    services.registrant_scan(
        code=b.check_in_code, mode=ScanMode.EXIT, event_id=b.event_id, actor=olga
    )
    expected.append((olga.pk, Source.SCAN))
    services.registrant_scan(  # a repeat
        code=b.check_in_code, mode=ScanMode.EXIT, event_id=b.event_id, actor=sam
    )
    services.registrant_change_status(
        registrant_id=c.pk, to_status=Status.CANCELLED, actor=olga, source=Source.ADMIN
    )
    expected.append((olga.pk, Source.ADMIN))
    services.registrant_change_status(
        registrant_id=c.pk, to_status=Status.REGISTERED, actor=AnonymousUser(), source=Source.API
    )
    expected.append((None, Source.API))  # an anonymous user is no actor
    services.registrants_bulk_change_status(
        registrant_ids=[a.pk, b.pk, c.pk],
        to_status=Status.CHECKED_IN,
        actor=olga,
    )
    expected.append((olga.pk, Source.DASHBOARD))  # only c moves: a is a no-op, b refused
    services.registrant_change_status(
        registrant_id=c.pk, to_status=Status.CHECKED_IN, actor=sam, source=Source.API
    )  # a no-op: no row

    rows = list(StatusChange.objects.order_by("id").values_list("actor_id", "source"))
    assert rows == expected
    assert_invariants()


# --- H6: a randomised model test of the lifecycle ------------------------------------

# The lifecycle as the product states it (DESIGN_MOVES, from design.py), written
# independently of lifecycle.py.
# What a scan writes from each status: a list of steps ([] is a repeat);
# None is refused as invalid_transition. Cancelled is refused as "cancelled".
DESIGN_SCANS = {
    "desk": {"registered": ["checked_in"], "checked_in": [], "entered": [], "exited": []},
    "entry": {
        "registered": ["checked_in", "entered"],
        "checked_in": ["entered"],
        "entered": [],
        "exited": ["entered"],
    },
    "exit": {"registered": None, "checked_in": None, "entered": ["exited"], "exited": []},
}
H6_CAPACITY = 4


class LifecycleModel(RuleBasedStateMachine):
    """Registrations, moves, scans, cancels and reinstates on one small event,
    checked step by step against a model of the expected statuses."""

    registrants = Bundle("registrants")

    def __init__(self, actor):
        super().__init__()
        self.actor = actor
        self.event = services.event_create(
            name="Model night", date=datetime.date(2026, 12, 1), capacity=H6_CAPACITY
        )
        self.expected: dict[int, str] = {}
        self.history_length: dict[int, int] = {}
        self.serial = 0

    def _seats_taken(self) -> int:
        return sum(s != "cancelled" for s in self.expected.values())

    def _expect_refusal(self, code: str, call) -> None:
        with pytest.raises(ApplicationError) as exc:
            call()
        assert exc.value.code == code

    @rule(target=registrants)
    def register(self):
        self.serial += 1

        def call():
            return services.registrant_register(
                event_id=self.event.pk,
                name=f"Model {self.serial}",
                email=f"model{self.serial}@example.com",
                actor=self.actor,
            )

        if self._seats_taken() >= H6_CAPACITY:
            self._expect_refusal("event_full", call)
            return multiple()
        registrant = call()
        self.expected[registrant.pk] = "registered"
        self.history_length[registrant.pk] = 1
        return registrant.pk

    def _move(self, pk: int, to: str, note: str = "") -> None:
        current = self.expected[pk]

        def call():
            return services.registrant_change_status(
                registrant_id=pk, to_status=to, actor=self.actor, source=Source.DASHBOARD, note=note
            )

        if to == current:
            assert call().changed is False
        elif (current, to) not in DESIGN_MOVES:
            self._expect_refusal("invalid_transition", call)
        elif (current, to) in DESIGN_CORRECTIONS and not note:
            self._expect_refusal("validation_error", call)
        elif current == "cancelled" and self._seats_taken() >= H6_CAPACITY:
            self._expect_refusal("event_full", call)
        else:
            assert call().changed is True
            self.expected[pk] = to
            self.history_length[pk] += 1

    @rule(
        pk=registrants,
        to=st.sampled_from([s.value for s in Status]),
        note=st.sampled_from(["", "a scan at the wrong door"]),
    )
    def change_status(self, pk, to, note):
        self._move(pk, to, note)

    @rule(pk=registrants, note=st.sampled_from(["", "left before the doors opened"]))
    def cancel(self, pk, note):
        self._move(pk, "cancelled", note)

    @rule(pk=registrants)
    def reinstate(self, pk):
        self._move(pk, "registered")

    @rule(pk=registrants, mode=st.sampled_from([m.value for m in ScanMode]))
    def scan(self, pk, mode):
        current = self.expected[pk]
        code, event_id = Registrant.objects.values_list("check_in_code", "event_id").get(pk=pk)

        def call():
            return services.registrant_scan(
                code=code, mode=mode, event_id=event_id, actor=self.actor
            )

        if current == "cancelled":
            self._expect_refusal("cancelled", call)
            return
        steps = DESIGN_SCANS[mode][current]
        if steps is None:
            self._expect_refusal("invalid_transition", call)
            return
        result = call()
        assert result.changed is bool(steps)
        assert [c.to_status for c in result.changes] == steps
        if steps:
            self.expected[pk] = steps[-1]
            self.history_length[pk] += len(steps)

    @invariant()
    def database_matches_the_model(self):
        """After every step: statuses and history lengths as modelled, I1, I2, I3."""
        rows = (
            Registrant.objects.filter(event=self.event)
            .annotate(n=Count("history"))
            .values_list("id", "status", "n")
        )
        assert {pk: status for pk, status, _ in rows} == self.expected
        assert {pk: n for pk, _, n in rows} == self.history_length
        assert history_violations([self.event.pk]) == []
        assert self._seats_taken() <= H6_CAPACITY

    def teardown(self):
        """After every sequence: I5, the stats equal a fresh count and the model."""
        counts = fresh_status_counts(self.event.pk)
        assert selectors.event_stats(event=self.event)["by_status"] == counts
        assert counts == {s.value: list(self.expected.values()).count(s.value) for s in Status}


@pytest.mark.django_db
def test_random_sequences_of_lifecycle_operations_match_the_model():
    """H6: derandomised (a fixed seed), 20 sequences of up to 25 operations;
    0 invariant violations (I1, I2, I3, I5) and every status as modelled."""
    actor = make_user("h6-model", None)
    run_state_machine_as_test(
        lambda: LifecycleModel(actor),
        settings=hypothesis_settings(
            max_examples=20,
            stateful_step_count=25,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert_invariants()


@pytest.mark.django_db
def test_deleting_history_rows_through_a_queryset_is_refused(history_row):
    """H4: a bulk delete of history is refused, and deleting its registrant
    erases the person and keeps the rows."""
    before = _snapshot()
    with pytest.raises(ValueError):
        StatusChange.objects.filter(pk=history_row.pk).delete()
    with pytest.raises(ValueError):
        StatusChange.objects.all().delete()
    assert _snapshot() == before
    services.registrant_delete(registrant_id=history_row.registrant_id)
    assert _snapshot() == before


@pytest.mark.django_db
def test_a_history_row_carrying_another_event_breaks_i2():
    """statuschange.event_id has no database constraint (migration 0007):
    I2 is what holds every writer to the registrant's event, so the check
    must see a row that strays."""
    event, elsewhere = EventFactory(), EventFactory()
    person = make_registrant(event)
    assert history_violations() == []
    StatusChange.objects.create(
        registrant=person,
        event=elsewhere,
        from_status=person.status,
        to_status=person.status,
        at=timezone.now(),
        source=Source.API,
    )
    assert any("not its registrant" in p for p in history_violations())
    assert any("not its registrant" in p for p in history_violations([event.pk]))
