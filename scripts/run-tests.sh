#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. on PostgreSQL + Redis (throwaway servers started here), everything;
#   2. on the embedded default (SQLite, in-process cache), everything that is
#      not PostgreSQL-specific (multi-process races use PostgreSQL).
# Extra arguments go to both pytest runs.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ARTIFACTS=${TEST_ARTIFACTS:-test-artifacts}
mkdir -p "$ARTIFACTS"

eval "$(scripts/test-services.sh start)" || { echo "could not start test services" >&2; exit 1; }
trap 'scripts/test-services.sh stop >/dev/null 2>&1' EXIT

start=$(date +%s)
echo "== PostgreSQL + Redis =="
$PY -m pytest -p no:cacheprovider "$@"
pg_rc=$?

echo "== SQLite (embedded default) =="
env -u DATABASE_URL -u REDIS_URL TEST_DB=sqlite $PY -m pytest -p no:cacheprovider -m "not postgres" "$@"
sqlite_rc=$?

echo "make test: PostgreSQL run exit $pg_rc, SQLite run exit $sqlite_rc, $(( $(date +%s) - start )) s"
# Exit code 5 means "no tests collected": a selection that matched nothing
# is not a failure of the suite.
for rc in $pg_rc $sqlite_rc; do
    if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then exit "$rc"; fi
done
exit 0
