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
#
# The PostgreSQL stages and the SQLite stages run side by side, as two lanes
# (decision record 0235): they share nothing (the SQLite run has no
# DATABASE_URL or REDIS_URL; its database is a file of its own; servers
# take free ports), and a lone pytest process leaves much of two cores idle
# (waiting on PostgreSQL, on servers and workers it starts, on sockets).
# The PostgreSQL lane prints as it goes; the SQLite lane writes
# $ARTIFACTS/sqlite.log, printed whole when both lanes have finished, so a
# failure's summary is in the CI output either way; the per-stage lines
# come last, as before. Within a lane the browser stage follows the main
# one: the fault tests stop and start the run's PostgreSQL
# (gateway/tests/test_outage.py), which another stage on that server must
# not see. testing/fast_flush.py makes the flush after each transactional
# test cheap (a minute or more of the PostgreSQL run).
#
# Last, the container smoke: the image is built and run against the test
# PostgreSQL and Redis (scripts/docker-smoke.sh), then the whole compose
# stack is brought up with its health checks, checked through nginx and
# taken down (scripts/compose-smoke.sh). Their slow first-time steps (Debian
# packages, a debootstrap base image, the wheelhouse, the PostgreSQL, Redis
# and nginx images: about 7 min on a fresh machine, mostly downloads) run in
# the background from the start, beside the tests; a machine that already
# has them skips them. The stage then takes about 4-8 min (docs/deploy.md).
# SKIP_CONTAINER_SMOKE=1 leaves the stage out (a developer's quick run),
# SKIP_COMPOSE_SMOKE=1 only the compose stack; CI runs both. A dockerd
# started here is stopped at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ARTIFACTS=${TEST_ARTIFACTS:-test-artifacts}
mkdir -p "$ARTIFACTS"

eval "$(scripts/test-services.sh start)" || { echo "could not start test services" >&2; exit 1; }
container_smoke=true
[ "${SKIP_CONTAINER_SMOKE:-}" = 1 ] && container_smoke=false
dockerd_was_running=true
if $container_smoke; then
    docker info >/dev/null 2>&1 || dockerd_was_running=false
    scripts/compose-smoke.sh --prepare >"$ARTIFACTS/container-prepare.log" 2>&1 &
    prepare_pid=$!
fi
stop_services() {
    scripts/test-services.sh stop >/dev/null 2>&1
    if ! $dockerd_was_running && [ -f /var/run/docker.pid ]; then
        kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
    fi
}
trap stop_services EXIT

start=$(date +%s)
STAGES=$ARTIFACTS/stages
rm -rf "$STAGES" && mkdir -p "$STAGES"
stage() { # order label command...: one pytest run; its result line into $STAGES/order
    local order=$1 label=$2
    shift 2
    local t0 rc
    t0=$(date +%s)
    echo "== $label =="
    "$@"
    rc=$?
    echo "$rc $label: exit $rc, $(( $(date +%s) - t0 )) s" >"$STAGES/$order"
}

postgres_lane() {
    stage 1 "PostgreSQL + Redis" $PY -m pytest -p no:cacheprovider --durations=15 -m "not browser" "$@"
    stage 2 "PostgreSQL + Redis, browser" $PY -m pytest -p no:cacheprovider -m "browser and postgres" "$@"
}
sqlite_lane() {
    stage 3 "SQLite" env -u DATABASE_URL -u REDIS_URL TEST_DB=sqlite \
        $PY -m pytest -p no:cacheprovider --durations=15 -m "not postgres and not browser" "$@"
    stage 4 "SQLite, browser" env -u DATABASE_URL -u REDIS_URL TEST_DB=sqlite \
        $PY -m pytest -p no:cacheprovider -m "browser and not postgres" "$@"
}
# The two lanes side by side: the PostgreSQL one printed as it goes, the
# SQLite one into its log, printed whole when both have finished.
sqlite_lane "$@" >"$ARTIFACTS/sqlite.log" 2>&1 &
sqlite_pid=$!
postgres_lane "$@" 2>&1 | tee "$ARTIFACTS/postgresql.log"
wait "$sqlite_pid"
echo "== SQLite lane, run beside it ($ARTIFACTS/sqlite.log) =="
cat "$ARTIFACTS/sqlite.log"

results=()
failed=0
for order in 1 2 3 4; do
    read -r rc line <"$STAGES/$order" || { rc=1 line="stage $order: did not finish"; }
    results+=("$line")
    # Exit code 5 means "no tests collected": not a failure of the suite.
    if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then failed=1; fi
done
run() { # label command...: a stage after the lanes, in the foreground
    local label=$1
    shift
    local t0 rc
    t0=$(date +%s)
    echo "== $label =="
    "$@"
    rc=$?
    results+=("$label: exit $rc, $(( $(date +%s) - t0 )) s")
    if [ "$rc" != 0 ]; then failed=1; fi
}

container_smoke() { # waits for the background preparation, then builds and checks the image
    local t0 rc
    t0=$(date +%s)
    wait "$prepare_pid"
    rc=$?
    echo "container preparation: exit $rc, $(( $(date +%s) - t0 )) s waited for it"
    if [ "$rc" != 0 ]; then
        tail -n 40 "$ARTIFACTS/container-prepare.log"
        return "$rc"
    fi
    sed -n '/^docker smoke --prepare:/,/^  wheelhouse/p; /^compose smoke --prepare:/,$p' \
        "$ARTIFACTS/container-prepare.log"
    scripts/docker-smoke.sh --prepared || rc=$?
    if [ "${SKIP_COMPOSE_SMOKE:-}" != 1 ]; then
        scripts/compose-smoke.sh --prepared || rc=$?
    fi
    return "$rc"
}
if $container_smoke; then
    run "Container smoke" container_smoke
fi

echo "make test: $(( $(date +%s) - start )) s in all"
printf '  %s\n' "${results[@]}"
exit $failed
