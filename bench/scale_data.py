"""The million-registrant data set: made once, reused by every scale run.

    .venv/bin/python bench/scale_data.py                 # make it, or say it is there
    .venv/bin/python bench/scale_data.py --rebuild       # drop and make it again
    .venv/bin/python bench/scale_data.py --stop          # stop the cluster

It keeps a durable PostgreSQL cluster of its own under --cluster (fsync,
synchronous_commit and full_page_writes on, as figures must be taken), on
--port, started when stopped, so that the data set survives between runs
and sessions. In it, the database `rd_scale` is migrated by Django and
filled by SQL that PostgreSQL runs over generate_series (INSERT ... SELECT):
the rows never travel through Python, which makes it faster than COPY from
a client on two cores. A row in `bench_scale_dataset` says which shape was
made and when; a run with the same shape finds it and does nothing.

Shape (defaults): one event of 1,000,000 registrants (yesterday, arrivals
from 17:00 UTC), 200 smaller events of about 2,500 registrants on past dates,
20,000 companies (one registrant in ten without), names with accents for
accent-insensitive search, and about 3.4 history rows per registrant
(registered, then check-in, entries and exits, or a cancellation). Every
status equals the newest history row of its registrant, and every history
row carries its registrant's event, as the product's own writers leave them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
DATABASE = "rd_scale"

# A registrant's path through the lifecycle, picked by a hash of its id:
# (share of registrants in thousandths, statuses after "registered").
PATHS: list[tuple[int, list[str]]] = [
    (150, []),
    (50, ["cancelled"]),
    (50, ["checked_in"]),
    (350, ["checked_in", "entered"]),
    (100, ["checked_in", "entered", "exited"]),
    (150, ["checked_in", "entered", "exited", "entered"]),
    (150, ["checked_in", "entered", "exited", "entered", "exited"]),
]
FIRST = ["Ada", "Zoë", "José", "Łukasz", "Amélie", "Björn", "Chloé", "Darío", "Émile", "Fatima",
         "Grace", "Hélène", "Ian", "Jürgen", "Kofi", "Léa", "Mateo", "Nadia", "Øystein", "Priya",
         "Quentin", "Renée", "Søren", "Tomás", "Uma", "Viktor", "Wei", "Xavier", "Yasmin", "Zoltán"]  # fmt: skip
LAST = ["Lovelace", "Müller", "García", "Nowak", "Dubois", "Şahin", "O'Brien", "Kowalski",
        "Martín", "Svensson", "Håkansson", "Rossi", "Nguyễn", "Smith", "Ibáñez", "Novák",
        "Fernández", "Jørgensen", "Papadopoulos", "Łęcki", "Brontë", "Åberg", "Citroën",
        "Dvořák", "Erdoğan", "Fauré", "Gödel", "Hoëlle", "Ionescu", "Janáček"]  # fmt: skip
GUEST_TYPES = ["attendee"] * 14 + ["speaker", "sponsor", "exhibitor", "staff", "press", "vip"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cluster", type=Path, default=Path("/var/tmp/rd-scale"))  # noqa: S108  (kept between runs on purpose)
    p.add_argument("--port", type=int, default=55499)
    p.add_argument("--pg-bin", default=os.environ.get("TEST_PG_BIN", ""))
    p.add_argument("--big", type=int, default=1_000_000, help="registrants in the big event")
    p.add_argument("--events", type=int, default=200, help="smaller events")
    p.add_argument("--companies", type=int, default=20_000)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--stop", action="store_true", help="stop the cluster and exit")
    return p.parse_args(argv)


def pg_bin(given: str) -> str:
    if given:
        return given
    found = shutil.which("pg_ctl")
    if found:
        return str(Path(found).resolve().parent)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        sys.exit("no PostgreSQL binaries: run scripts/install-test-packages.sh")
    return str(versions[-1])


def as_postgres(*cmd: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)


def cluster_running(bin_dir: str, data: Path) -> bool:
    done = subprocess.run(as_postgres(f"{bin_dir}/pg_ctl", "-D", str(data), "status"),
                          capture_output=True)  # fmt: skip
    return done.returncode == 0


def start_cluster(bin_dir: str, root: Path, port: int) -> str:
    """Start (after making, the first time) the durable cluster; its URL."""
    data = root / "pg"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(data, "postgres")
        subprocess.run(as_postgres(f"{bin_dir}/initdb", "-D", str(data), "-U", "postgres",
                                   "-A", "trust"), check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    if not cluster_running(bin_dir, data):
        opts = (f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
                " -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
                " -c shared_buffers=512MB -c max_wal_size=4GB")  # fmt: skip
        subprocess.run(as_postgres(f"{bin_dir}/pg_ctl", "-D", str(data), "-o", opts,
                                   "-l", str(root / "server.log"), "-w", "start"),
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return f"postgres://postgres@127.0.0.1:{port}"


def shape_of(args: argparse.Namespace) -> dict:
    return {"big": args.big, "events": args.events, "companies": args.companies, "version": 1}


def existing_shape(server: str) -> dict | None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            return None
    with psycopg.connect(f"{server}/{DATABASE}") as conn:
        if not conn.execute("SELECT to_regclass('bench_scale_dataset')").fetchone()[0]:
            return None
        row = conn.execute("SELECT shape FROM bench_scale_dataset").fetchone()
        return row[0] if row else None


def migrate(server: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    env = {**os.environ, "DATABASE_URL": f"{server}/{DATABASE}",
           "DJANGO_SETTINGS_MODULE": "config.settings.base"}  # fmt: skip
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "-v", "0"], env=env,
                   check=True, cwd=REPO)  # fmt: skip


def sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def path_case(column: str, step: str) -> tuple[str, str]:
    """SQL for the number of history rows and the status at `step` (1 is
    "registered") of the path picked by `column` (0..999)."""
    count_cases, status_cases, upper = [], [], 0
    for share, path in PATHS:
        upper += share
        statuses = ["registered", *path]
        count_cases.append(f"WHEN {column} < {upper} THEN {len(statuses)}")
        status_cases.append(f"WHEN {column} < {upper} THEN ({sql_array(statuses)})[{step}]")
    return ("CASE " + " ".join(count_cases) + " END",
            "CASE " + " ".join(status_cases) + " END")  # fmt: skip


def django_history_insert(server: str):
    """registrants.sql's history_insert, with Django set up on the data set."""
    os.environ["DATABASE_URL"] = f"{server}/{DATABASE}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from registrants.sql.history import history_insert

    return history_insert


def fill(server: str, args: argparse.Namespace) -> dict[str, float]:
    """Insert the data set with server-side SQL; seconds per step."""
    history_insert = django_history_insert(server)
    steps: dict[str, float] = {}
    pick = "(abs(hashint8(r.id)::bigint) % 1000)"
    rows_of, status_at = path_case(pick, "s")
    previous_status = status_at.replace("[s]", "[s - 1]")
    final_rows, _ = path_case("(abs(hashint8(g)::bigint) % 1000)", "1")
    _, final_status = path_case("(abs(hashint8(g)::bigint) % 1000)", final_rows)
    with psycopg.connect(f"{server}/{DATABASE}", autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")  # this session only: the load, not the runs

        def step(name: str, sql: str) -> None:
            started = time.perf_counter()
            conn.execute(sql)  # type: ignore[arg-type]  (built here from integers, no input)
            steps[name] = round(time.perf_counter() - started, 1)
            print(f"  {name}: {steps[name]} s", flush=True)

        step("companies", f"""
            INSERT INTO registrants_company (id, name, normalized_name, created_at)
            SELECT g, 'Company ' || g || ' ' || ({sql_array(LAST)})[1 + g % {len(LAST)}],
                   'company ' || g || ' ' || lower(({sql_array(LAST)})[1 + g % {len(LAST)}]), now()
            FROM generate_series(1, {args.companies}) g""")  # fmt: skip
        step("events", f"""
            INSERT INTO registrants_event (id, name, date, capacity, time_zone, door_modes,
                                           closed, created_at, updated_at)
            SELECT g, CASE WHEN g = 1 THEN 'The big conference' ELSE 'Meet-up ' || g END,
                   CASE WHEN g = 1 THEN current_date - 1 ELSE current_date - 1 - (g * 3) END,
                   CASE WHEN g = 1 THEN {args.big * 2} ELSE 5000 END, 'UTC', '["desk", "entry", "exit"]',
                   false, now(), now()
            FROM generate_series(1, {args.events + 1}) g""")  # fmt: skip
        # Registrant g belongs to event 1 for g <= big, else to one of the
        # small events by a hash (200 to 4,800 each on average 2,500).
        small = args.events * 2_500
        step("registrants", f"""
            INSERT INTO registrants_registrant (id, event_id, company_id, name, email, guest_type,
                status, check_in_code, created_at, updated_at)
            SELECT g, e.event_id,
                   CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + abs(hashint8(g * 7)::bigint) % {args.companies} END,
                   ({sql_array(FIRST)})[1 + g % {len(FIRST)}] || ' '
                       || ({sql_array(LAST)})[1 + (g / {len(FIRST)}) % {len(LAST)}] || ' ' || g,
                   'guest' || g || '@example.' || (ARRAY['com','org','net'])[1 + g % 3],
                   ({sql_array(GUEST_TYPES)})[1 + abs(hashint8(g * 13)::bigint) % {len(GUEST_TYPES)}],
                   {final_status}, md5('code' || g) || to_hex(g), e.created, e.created
            FROM generate_series(1, {args.big + small}) g,
            LATERAL (SELECT CASE WHEN g <= {args.big} THEN 1
                                 ELSE 2 + abs(hashint8(g)::bigint) % {args.events} END AS event_id) ev,
            LATERAL (SELECT ev.event_id,
                            (SELECT date FROM registrants_event WHERE id = ev.event_id)::timestamptz
                              - interval '60 days' * (abs(hashint8(g * 3)::bigint) % 1000) / 1000.0
                              AS created) e""")  # fmt: skip
        # History: step 1 at the registration, later steps on the event's
        # day from 17:00 UTC, minutes apart; the columns from the one
        # declaration of the history row (registrants.sql).
        step("history", history_insert(
            {
                "registrant_id": "r.id",
                "event_id": "r.event_id",
                "from_status": f"CASE WHEN s = 1 THEN '' ELSE {previous_status} END",
                "to_status": status_at,
                "at": """CASE WHEN s = 1 THEN r.created_at
                    ELSE (SELECT date FROM registrants_event WHERE id = r.event_id)::timestamptz
                         + interval '17 hours'
                         + interval '1 second' * (abs(hashint8(r.id * 5)::bigint) % 14400)
                         + interval '20 minutes' * (s - 2) END""",
                "actor_id": "NULL",
                "source": "CASE WHEN s = 1 THEN 'import' ELSE 'scan' END",
                "note": "''",
                "scanned_at": "NULL",
            },
            tail=f"FROM registrants_registrant r, LATERAL generate_series(1, {rows_of}) s",
        ))  # fmt: skip
        for table in ("registrants_company", "registrants_event", "registrants_registrant",
                      "registrants_statuschange"):  # fmt: skip
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        step("vacuum analyze", "VACUUM (ANALYZE)")
        conn.execute("CREATE TABLE bench_scale_dataset (shape jsonb, made_at timestamptz)")
        conn.execute("INSERT INTO bench_scale_dataset VALUES (%s, now())",
                     [json.dumps(shape_of(args))])  # fmt: skip
    return steps


def check(server: str) -> dict[str, int]:
    """Counts, and the two facts the product's writers keep (must be 0)."""
    with psycopg.connect(f"{server}/{DATABASE}") as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "events": one("SELECT count(*) FROM registrants_event"),
            "companies": one("SELECT count(*) FROM registrants_company"),
            "registrants": one("SELECT count(*) FROM registrants_registrant"),
            "big_event": one("SELECT count(*) FROM registrants_registrant WHERE event_id = 1"),
            "history": one("SELECT count(*) FROM registrants_statuschange"),
            "status_not_newest_history": one("""
                SELECT count(*) FROM registrants_registrant r
                WHERE r.status <> (SELECT to_status FROM registrants_statuschange c
                                   WHERE c.registrant_id = r.id ORDER BY c.id DESC LIMIT 1)"""),
            "history_in_other_event": one("""
                SELECT count(*) FROM registrants_statuschange c
                JOIN registrants_registrant r ON r.id = c.registrant_id
                WHERE c.event_id <> r.event_id"""),
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bin_dir = pg_bin(args.pg_bin)
    if args.stop:
        subprocess.run(as_postgres(f"{bin_dir}/pg_ctl", "-D", str(args.cluster / "pg"),
                                   "-m", "fast", "-w", "stop"), check=False)  # fmt: skip
        return 0
    server = start_cluster(bin_dir, args.cluster, args.port)
    shape = shape_of(args)
    if not args.rebuild and existing_shape(server) == shape:
        print(f"data set {shape} already in {server}/{DATABASE}")
        return 0
    started = time.perf_counter()
    print(f"making {shape} in {server}/{DATABASE} (durable cluster under {args.cluster})")
    migrate(server)
    steps = fill(server, args)
    counts = check(server)
    total = round(time.perf_counter() - started, 1)
    print(json.dumps({"seconds": total, "steps": steps, **counts}))
    bad = counts["status_not_newest_history"] or counts["history_in_other_event"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
