#!/usr/bin/env bash
# Build the image on this machine without a registry and smoke-test it
# against the test PostgreSQL and Redis (scripts/test-services.sh):
#
#   eval "$(scripts/test-services.sh start)"   # DATABASE_URL, REDIS_URL
#   scripts/docker-smoke.sh
#
# 1. docker.io and debootstrap from Debian's packages if missing; dockerd
#    started if not running (no bridge, no iptables: everything uses
#    --network host, so all traffic stays on loopback).
# 2. A local base image: Debian bookworm by debootstrap with python3 (3.11)
#    and python3-venv, turned into an image by `docker import` (built once,
#    kept as $BASE_IMAGE).
# 3. A wheelhouse from requirements.lock (pip download on the host), so the
#    build installs with --no-index.
# 4. The image, then: migrations (the `migrate` role) into a fresh database,
#    the web role: /readyz 200, /login/ 200, process not root; the gateway
#    role: /gateway/readyz 200 and a scan of a registrant made through the
#    API checks them in.
# 5. nginx (Debian's package) with deploy/nginx/nginx.conf in front of them:
#    /readyz, /gateway/readyz, X-Request-ID, static cached, websocket upgrade.
# 6. compose.yaml validated with `docker-compose config` (or `docker compose`).
# Prints the seconds each step took. Leaves the base image and the wheels
# (later runs reuse them); removes its containers and database.
#
# `scripts/docker-smoke.sh --prepare` does steps 1-3 only (packages, dockerd,
# base image, wheelhouse) and exits: scripts/run-tests.sh runs it in the
# background while the tests run, since on a fresh machine those steps
# mostly wait for downloads; then `--prepared` does the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

prepare_only=false prepared=false
[ "${1:-}" = --prepare ] && prepare_only=true
# --prepared: a --prepare run already did steps 1-3 (scripts/run-tests.sh).
[ "${1:-}" = --prepared ] && prepared=true
if ! $prepare_only; then
    : "${DATABASE_URL:?start scripts/test-services.sh first (DATABASE_URL)}"
    : "${REDIS_URL:?start scripts/test-services.sh first (REDIS_URL)}"
fi
BASE_IMAGE=${BASE_IMAGE:-rd-base:bookworm}
IMAGE=${IMAGE:-registrant-dashboard:smoke}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WEB_PORT=${SMOKE_WEB_PORT:-18480}
GATEWAY_PORT=${SMOKE_GATEWAY_PORT:-18481}
PY=${PY:-.venv/bin/python}
WORK=$(mktemp -d /tmp/docker-smoke.XXXXXX)
SMOKE_DB=rd_smoke_$$
SECRET_KEY=smoke-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

# shellcheck source=scripts/step-timings.sh
. scripts/step-timings.sh  # the working directory is the repository root (above)

containers=()
cleanup() {
    for c in "${containers[@]}"; do
        if [ "$c" = nginx ]; then
            [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
        else
            docker rm -f "$c" >/dev/null 2>&1 || true
        fi
    done
    "$PY" - "$SMOKE_DB" <<'EOF' >/dev/null 2>&1 || true
import os, sys, psycopg
with psycopg.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
EOF
    rm -rf "$WORK"
}
trap cleanup EXIT

if $prepared; then
    step "prepared before"
else
step "packages"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v nginx >/dev/null || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    # RUNLEVEL=1: the packages' scripts start no service (nginx on port 80).
    RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

step "dockerd"
if ! docker info >/dev/null 2>&1; then
    # No bridge network and no iptables rules: containers use the host's.
    # 9>&-: dockerd outlives this script and must not inherit a caller's
    # lock (compose-smoke.sh holds its flock on fd 9; an inherited copy
    # kept it locked for ever and the next smoke waited on it).
    nohup dockerd --bridge=none --iptables=false --ip6tables=false \
        >/var/log/dockerd-smoke.log 2>&1 9>&- &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd-smoke.log >&2; exit 1; }
fi

step "base image"
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    rootfs=$WORK/rootfs
    debootstrap --variant=minbase --include=python3,python3-venv bookworm "$rootfs" "$MIRROR" >&2
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
fi

step "wheelhouse"
# Wheels only: the image's build stage has no compiler. The host is the
# image's platform (Debian bookworm, x86_64, Python 3.11).
"$PY" -m pip download -q -r requirements.lock -d deploy/wheels --only-binary=:all: >&2
# bookworm's Python is 3.11.2, where redis also needs async-timeout (its
# marker: python_full_version < "3.11.3"); the lock, made on a later 3.11,
# does not list it.
"$PY" -m pip download -q "async-timeout>=4.0.3" -d deploy/wheels --only-binary=:all: >&2

fi  # not $prepared

if $prepare_only; then
    step "done"
    echo "docker smoke --prepare: $(( $(date +%s) - started )) s in all" >&2
    printf '  %s\n' "${timings[@]}" >&2
    exit 0
fi

step "image build"
docker build -q --network host --build-arg BASE="$BASE_IMAGE" -t "$IMAGE" . >&2

step "migrate"
"$PY" - "$SMOKE_DB" <<'EOF'
import os, sys, psycopg
with psycopg.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
    c.execute(f'CREATE DATABASE "{sys.argv[1]}"')
EOF
db_url=${DATABASE_URL%/*}/$SMOKE_DB
run_env=(-e "DATABASE_URL=$db_url" -e "REDIS_URL=$REDIS_URL" -e "SECRET_KEY=$SECRET_KEY"
         -e "ALLOWED_HOSTS=127.0.0.1,localhost" -e "SECURE_SSL_REDIRECT=false")
docker run --rm --network host "${run_env[@]}" "$IMAGE" migrate -v 0 >&2

step "web and gateway up"
web=rd-smoke-web-$$ gate=rd-smoke-gateway-$$
containers+=("$web" "$gate")
docker run -d --name "$web" --network host "${run_env[@]}" -e "PORT=$WEB_PORT" "$IMAGE" web >/dev/null
docker run -d --name "$gate" --network host "${run_env[@]}" -e "PORT=$GATEWAY_PORT" "$IMAGE" gateway >/dev/null
wait_for() { # wait_for URL: until it answers 200 (60 s)
    for _ in $(seq 120); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
        sleep 0.5
    done
    return 1
}
fail() {
    echo "FAILED: $*" >&2
    docker logs "$web" 2>&1 | tail -20 >&2
    docker logs "$gate" 2>&1 | tail -20 >&2
    [ ! -f "$WORK/nginx-error.log" ] || tail -20 "$WORK/nginx-error.log" >&2
    exit 1
}
wait_for "http://127.0.0.1:$WEB_PORT/readyz" || fail "web /readyz"
wait_for "http://127.0.0.1:$GATEWAY_PORT/gateway/readyz" || fail "gateway /readyz"

step "checks"
curl -fsS "http://127.0.0.1:$WEB_PORT/readyz" >&2 && echo >&2
login=$(curl -s -o "$WORK/login.html" -w '%{http_code}' "http://127.0.0.1:$WEB_PORT/login/")
[ "$login" = 200 ] && grep -q 'name="password"' "$WORK/login.html" || fail "/login/ answered $login"
# The static files were collected at build time and are served.
css=$(grep -o '/static/[^"]*\.css' "$WORK/login.html" | head -n 1)
[ -z "$css" ] || [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB_PORT$css")" = 200 ] \
    || fail "static $css"
uids=()
for c in "$web" "$gate"; do
    uid=$(docker exec "$c" sh -c 'awk "/^Uid:/ {print \$2}" /proc/1/status')
    [ -n "$uid" ] && [ "$uid" != 0 ] || fail "$c runs as uid '$uid'"
    uids+=("$uid")
done
# A real scan through the gateway: an organiser makes an event and a
# registrant through the API, door staff scan the code in.
json_field() { "$PY" -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
org=$(docker exec "$web" python manage.py create_user smoke-organiser --role organiser --token | tail -n 1)
door=$(docker exec "$web" python manage.py create_user smoke-door --role checkin_staff --token | tail -n 1)
api() { curl -fsS -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "http://127.0.0.1:$WEB_PORT$2"; }
event=$(api "$org" /api/v1/events/ '{"name": "Smoke", "date": "2030-01-01", "capacity": 10}' | json_field id)
code=$(api "$org" /api/v1/registrants/ "{\"event\": $event, \"name\": \"Smoke Test\", \"email\": \"smoke@example.org\"}" \
    | json_field check_in_code)
scan=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $door" -H 'Content-Type: application/json' \
    -d "{\"code\": \"$code\", \"mode\": \"desk\", \"event\": $event}" "http://127.0.0.1:$GATEWAY_PORT/gateway/v1/scan")
case "$scan" in *'"checked_in"'*' 200') ;; *) fail "gateway scan: $scan" ;; esac

step "nginx in front"
# deploy/nginx/nginx.conf as compose runs it, with the compose host names
# pointed at the containers here: the gateway route, the websocket route
# and the static cache.
NGINX_PORT=${SMOKE_NGINX_PORT:-18482}
# The web container serves /ws/ too: the live upstream points at it.
sed -e "s/server web1:8000/server 127.0.0.1:$WEB_PORT/; s/server web2:8000/server 127.0.0.1:$WEB_PORT/" \
    -e "s/server live1:8002/server 127.0.0.1:$WEB_PORT/; s/server live2:8002/server 127.0.0.1:$WEB_PORT/" \
    -e "s/server gateway:8001/server 127.0.0.1:$GATEWAY_PORT/; s/listen 8080/listen 127.0.0.1:$NGINX_PORT/" \
    -e "s|/var/cache/nginx/static|$WORK/nginx-cache|" deploy/nginx/nginx.conf >"$WORK/nginx.conf"
# Its workers run as www-data: they need to reach the cache directory.
chmod 711 "$WORK"
install -d -o www-data "$WORK/nginx-cache"
nginx -c "$WORK/nginx.conf" -g "user www-data; pid $WORK/nginx.pid; error_log $WORK/nginx-error.log;"
containers+=(nginx)
edge=http://127.0.0.1:$NGINX_PORT
wait_for "$edge/readyz" || fail "nginx -> web /readyz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$edge/gateway/readyz")" = 200 ] || fail "nginx -> gateway"
rid=$(curl -s -D - -o /dev/null -H 'X-Request-ID: smoke-1' "$edge/login/" | tr -d '\r' | awk 'tolower($1)=="x-request-id:" {print $2}')
[ "$rid" = smoke-1 ] || fail "X-Request-ID through nginx: '$rid'"
if [ -n "$css" ]; then
    curl -s -o /dev/null "$edge$css"
    cached=$(curl -s -D - -o /dev/null "$edge$css" | tr -d '\r' | awk 'tolower($1)=="x-cache-status:" {print $2}')
    [ "$cached" = HIT ] || fail "static not cached by nginx: '$cached'"
fi
# A logged-in organiser's socket must upgrade (101). Anonymous or from
# another origin it would be refused with 403 either way, so the check logs
# in: a session made in the web container.
session=$(docker exec "$web" python manage.py shell -c '
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.get(username="smoke-organiser")
s = SessionStore()
s.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
          HASH_SESSION_KEY: user.get_session_auth_hash()})
s.save()
print(f"{settings.SESSION_COOKIE_NAME}={s.session_key}")' | tail -n 1)
ws=$(curl -s -m 3 -o /dev/null -w '%{http_code}' --http1.1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H "Cookie: $session" \
    -H "Origin: http://127.0.0.1:$NGINX_PORT" "$edge/ws/events/$event/" || true)
# 101, then curl waits for data until -m: the code is still reported. A 403
# here is the origin check refusing it (nginx lost the Host header).
[ "$ws" = 101 ] || fail "websocket through nginx: $ws"

step "compose config"
if docker compose version >/dev/null 2>&1; then
    SECRET_KEY=x docker compose -f compose.yaml config -q
else
    SECRET_KEY=x docker-compose -f compose.yaml config -q
fi
step "done"

echo "docker smoke: processes run as uid ${uids[*]} (not root); /readyz 200, /login/ 200," \
    "a scan through the gateway checked someone in; through nginx: web, gateway, websocket upgrade, static cached" >&2
echo "docker smoke: $(( $(date +%s) - started )) s in all" >&2
printf '  %s\n' "${timings[@]}" >&2
