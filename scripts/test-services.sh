#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on loopback for the test run.
#
#   scripts/test-services.sh start   # install if missing, start, print env
#   scripts/test-services.sh stop
#
# PostgreSQL refuses to run as root, so when we are root the cluster is
# owned by and run as the `postgres` system user (which the Debian package
# creates). Data lives under $TEST_SERVICES_DIR and is deleted on stop.
# Durability is switched off (fsync, synchronous_commit): these servers hold
# nothing worth keeping, and the suite runs several times faster.
set -euo pipefail

DIR=${TEST_SERVICES_DIR:-/tmp/registrant-dashboard-test-services}
PGPORT=${TEST_PGPORT:-55432}
REDISPORT=${TEST_REDISPORT:-56379}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_packages() {
    local missing=()
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} from Debian packages" >&2
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    # The Debian package starts a cluster of its own on 5432; we do not use it.
}

pgbin() {
    ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1
}

start() {
    ensure_packages
    stop >/dev/null 2>&1 || true
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    local bin
    bin=$(pgbin)
    mkdir -p "$DIR/pg" "$DIR/sock"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg" "$DIR/sock"
    as_postgres "$bin/initdb" -D "$DIR/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
    as_postgres "$bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
        -o "-p $PGPORT -k $DIR/sock -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB" \
        start >&2
    redis-server --port "$REDISPORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
        --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" >&2
    for _ in $(seq 50); do
        redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PGPORT/registrant_dashboard"
    echo "export REDIS_URL=redis://127.0.0.1:$REDISPORT/0"
    echo "export TEST_PG_BIN=$bin TEST_PG_DATA=$DIR/pg/data TEST_SERVICES_DIR=$DIR"
}

stop() {
    local bin
    bin=$(pgbin 2>/dev/null || true)
    if [ -n "$bin" ] && [ -f "$DIR/pg/data/postmaster.pid" ]; then
        as_postgres "$bin/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >&2 || true
    fi
    if [ -f "$DIR/redis.pid" ]; then
        kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
    fi
    rm -rf "$DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
