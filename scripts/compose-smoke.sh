#!/usr/bin/env bash
# `docker compose up` of the whole stack (compose.yaml), on a machine that
# reaches no container registry, and its checks:
#
#   scripts/compose-smoke.sh            # prepares what it needs first
#   scripts/compose-smoke.sh --prepare  # step 1 only (scripts/run-tests.sh, in the background)
#   scripts/compose-smoke.sh --prepared # step 1 already done
#
# 1. Unless --prepared: scripts/docker-smoke.sh --prepare (Debian's
#    docker.io, dockerd, the debootstrap base image, the wheelhouse), then
#    the PostgreSQL, Redis and nginx images (deploy/local/, kept).
# 2. Builds with docker-compose (through scripts/compose-local.sh, which
#    adds deploy/compose.local.yaml): the app image, and PostgreSQL, Redis
#    and nginx from Debian's packages on the same base; every process on the
#    host's loopback, ports 185xx.
# 3. `up -d`: compose starts each service once what it depends on is healthy
#    (PostgreSQL, Redis) or done (migrate); then every container must be
#    healthy (postgres, redis, web1, web2, live1, live2, gateway, nginx: their health
#    checks) or running (worker, beat), and migrate exited 0 having printed
#    the demo login.
# 4. Through nginx (scripts/compose_smoke_checks.py): /readyz, the login
#    page and the printed demo login logging in, a websocket on the live
#    path getting a registrant made through each web process, a scan through
#    /gateway/. Every app process runs as a non-root user; PostgreSQL's data
#    is on the named volume.
# 5. `down -v`, also on failure (trap): no container, network or volume is
#    left; the images are kept for the next run.
# Prints the seconds each step took. Needs no DATABASE_URL: the stack has
# its own PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

prepared=false prepare_only=false
[ "${1:-}" = --prepared ] && prepared=true
[ "${1:-}" = --prepare ] && prepare_only=true
PY=${PY:-.venv/bin/python}
export BASE=${BASE_IMAGE:-rd-base:bookworm}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-rdcomposesmoke}
export LOCAL_HTTP_PORT=${LOCAL_HTTP_PORT:-18580} LOCAL_WEB1_PORT=${LOCAL_WEB1_PORT:-18581}
export LOCAL_WEB2_PORT=${LOCAL_WEB2_PORT:-18582} LOCAL_GATEWAY_PORT=${LOCAL_GATEWAY_PORT:-18583}
export LOCAL_LIVE1_PORT=${LOCAL_LIVE1_PORT:-18584} LOCAL_LIVE2_PORT=${LOCAL_LIVE2_PORT:-18585}
SECRET_KEY=compose-smoke-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SECRET_KEY
HEALTHY_WITHIN=${HEALTHY_WITHIN:-240}  # seconds, for the whole stack

# One run at a time per project: a second would share its containers and ports.
exec 9>"/tmp/compose-smoke-$COMPOSE_PROJECT_NAME.lock"
flock -w 900 9 || { echo "another compose smoke holds the lock" >&2; exit 1; }

compose() { scripts/compose-local.sh "$@"; }

STEP_PREFIX="compose: "
# shellcheck source=scripts/step-timings.sh
. scripts/step-timings.sh  # the working directory is the repository root (above)

up=false
cleanup() {
    if $up; then
        compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
fail() {
    echo "FAILED: $*" >&2
    compose ps >&2 || true
    compose logs --no-color --tail=25 >&2 || true
    exit 1
}

if ! $prepared; then
    step "prepare"
    scripts/docker-smoke.sh --prepare 9>&-  # what it starts must not hold our lock
    step "service images"
    compose build -q postgres redis nginx >&2
fi
if $prepare_only; then
    step "done"
    echo "compose smoke --prepare: $(( $(date +%s) - started )) s in all" >&2
    printf '  %s\n' "${timings[@]}" >&2
    exit 0
fi

step "build"
# One app service builds registrant-dashboard:latest; the other five use
# it. The service images are kept from --prepare (or built now).
compose build -q postgres redis nginx migrate >&2

step "up"
up=true
# Attached `up` prints every service's log, the demo login among them;
# detached, this script reads it from the migrate service's log below.
compose up -d >&2 || fail "docker-compose up"

step "healthy"
# The containers by service, from their compose labels: one docker call
# (each docker-compose call costs seconds of Python start-up).
declare -A cid
while read -r s id; do
    cid[$s]=$id
done < <(docker ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
    --format '{{.Label "com.docker.compose.service"}} {{.ID}}')
services=(postgres redis migrate web1 web2 live1 live2 gateway worker beat nginx)
for s in "${services[@]}"; do
    [ -n "${cid[$s]:-}" ] || fail "no container for $s"
done
deadline=$(( $(date +%s) + HEALTHY_WITHIN ))
while :; do
    waiting=()
    for s in "${services[@]}"; do
        id=${cid[$s]}
        state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}' "$id")
        case "$s $state" in
            "migrate exited - 0") ;;
            "migrate exited"*) fail "migrate exited: $state" ;;
            "worker running - "* | "beat running - "*) ;;
            *" running healthy "*) ;;
            *" running unhealthy "* | *" exited "* | *" dead "*) fail "$s: $state" ;;
            *) waiting+=("$s ($state)") ;;
        esac
    done
    [ ${#waiting[@]} = 0 ] && break
    [ "$(date +%s)" -lt "$deadline" ] || fail "not healthy within ${HEALTHY_WITHIN} s: ${waiting[*]}"
    sleep 1
done

step "checks"
migrate_log=$(docker logs "${cid[migrate]}" 2>&1)
login=$(printf '%s\n' "$migrate_log" | sed -n 's/.*login: *\([^ ]*\) \/ \([^ ]*\) .*/\1 \2/p' | tail -n 1)
[ -n "$login" ] || fail "migrate printed no demo login: $migrate_log"
printf '%s\n' "$migrate_log" | grep -F "Registrant Dashboard: http://127.0.0.1:$LOCAL_HTTP_PORT/" >&2 \
    || fail "migrate printed no URL on port $LOCAL_HTTP_PORT"
# read: word-splits the login into its two halves.
read -r demo_user demo_password <<<"$login"
uids=()
for s in web1 web2 live1 live2 gateway worker beat; do
    uid=$(docker exec "${cid[$s]}" sh -c 'awk "/^Uid:/ {print \$2}" /proc/1/status')
    [ -n "$uid" ] && [ "$uid" != 0 ] || fail "$s runs as uid '$uid'"
    uids+=("$s=$uid")
done
mounted=$(docker inspect -f '{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}} {{end}}' "${cid[postgres]}")
case "$mounted" in
    *"volume:${COMPOSE_PROJECT_NAME}_pgdata:/var/lib/postgresql/data"*) ;;
    *) fail "PostgreSQL's data is not on the named volume: $mounted" ;;
esac
token() { # token NAME ROLE: a user with an API token, made in web1
    docker exec "${cid[web1]}" python manage.py create_user "$1" --role "$2" --token | tail -n 1
}
DEMO_PASSWORD=$demo_password "$PY" scripts/compose_smoke_checks.py \
    --edge "http://127.0.0.1:$LOCAL_HTTP_PORT" \
    --web "http://127.0.0.1:$LOCAL_WEB1_PORT" --web "http://127.0.0.1:$LOCAL_WEB2_PORT" \
    --username "$demo_user" \
    --organiser-token "$(token compose-organiser organiser)" \
    --door-token "$(token compose-door checkin_staff)" || fail "checks through nginx"

step "down"
compose down -v --remove-orphans --timeout 10 >&2
up=false
left=$(docker volume ls -q --filter "name=${COMPOSE_PROJECT_NAME}_")
[ -z "$left" ] || fail "volumes left after down -v: $left"
step "done"

echo "compose smoke: every service healthy (or running, or done), the demo login printed and" \
    "logging in through nginx, live changes from both web processes and the gateway on one" \
    "socket; processes run as ${uids[*]}; PostgreSQL on the named volume" >&2
echo "compose smoke: $(( $(date +%s) - started )) s in all" >&2
printf '  %s\n' "${timings[@]}" >&2
