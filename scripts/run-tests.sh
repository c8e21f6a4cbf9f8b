#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. on PostgreSQL + Redis (throwaway servers started here), everything;
#   2. on the embedded default (SQLite, in-process cache and channel layer),
#      everything that is not PostgreSQL-specific (multi-process races and
#      real-worker tests use PostgreSQL).
# Browser tests run in a pytest process of their own: pytest-playwright keeps
# an event loop running in the main thread for the rest of its session, which
# async code under test (channels, asgiref) must not share.
#
# Each browser test runs once, on the database where it means the most:
#   - the live pages (dashboard/tests/browser/test_live.py: uvicorn,
#     websockets, a restart) on PostgreSQL + Redis, production's stack:
#     the Redis channel layer under a real ASGI server is what they exercise
#     beyond the page tests. They carry the `postgres` marker for that reason.
#   - the page tests (test_pages.py: htmx and the pages' scripts against
#     pytest-django's live_server) on SQLite, the embedded default that
#     `make run` serves.
# Running both sets on both databases drove the same scripts against the
# same HTML twice: what differs between the databases is server-side, and
# dashboard/tests and live/tests cover it on both (views, JSON, consumers
# with the in-memory and the Redis channel layer). Chromium is what a browser
# test costs, so each running once takes over a minute off CI.
# Extra arguments go to every pytest run.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ARTIFACTS=${TEST_ARTIFACTS:-test-artifacts}
mkdir -p "$ARTIFACTS"

eval "$(scripts/test-services.sh start)" || { echo "could not start test services" >&2; exit 1; }
trap 'scripts/test-services.sh stop >/dev/null 2>&1' EXIT

start=$(date +%s)
results=()
run() {
    local label=$1
    shift
    local t0=$(date +%s)
    echo "== $label =="
    "$@"
    local rc=$?
    results+=("$label: exit $rc, $(( $(date +%s) - t0 )) s")
    # Exit code 5 means "no tests collected": not a failure of the suite.
    if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then failed=1; fi
}
failed=0

run "PostgreSQL + Redis" $PY -m pytest -p no:cacheprovider --durations=15 -m "not browser" "$@"
run "PostgreSQL + Redis, browser" $PY -m pytest -p no:cacheprovider -m "browser and postgres" "$@"
run "SQLite" env -u DATABASE_URL -u REDIS_URL TEST_DB=sqlite \
    $PY -m pytest -p no:cacheprovider --durations=15 -m "not postgres and not browser" "$@"
run "SQLite, browser" env -u DATABASE_URL -u REDIS_URL TEST_DB=sqlite \
    $PY -m pytest -p no:cacheprovider -m "browser and not postgres" "$@"

echo "make test: $(( $(date +%s) - start )) s in all"
printf '  %s\n' "${results[@]}"
exit $failed
