#!/bin/sh
# The image's roles (Dockerfile). The first argument picks one; anything
# else runs as a command (`docker run IMAGE python manage.py shell`).
#   web       config.asgi under uvicorn: pages, API, websockets, the gateway too
#   live      config.live_asgi: the live dashboards' websockets (/ws/) only,
#             so that pushing every change to every socket never delays an
#             API answer (docs/decisions/0240-live-processes.md); without the
#             gateway, lighter (docs/decisions/0285-live-role-app.md)
#   gateway   the door-scanner gateway alone (gateway.main)
#   worker    a Celery worker (imports)
#   beat      Celery beat (requeues interrupted imports every minute)
#   migrate   apply migrations, then exit (a one-off before a rolling deploy)
#   demo      migrate, load the demo event once, print the demo login
set -e
role=${1:-web}
[ $# -gt 0 ] && shift
case "$role" in
    web)
        # No per-message deflate on the live dashboards' sockets: zlib per
        # frame per socket cost more CPU and memory than the bytes it saves
        # (docs/decisions/0205-live-fan-out.md).
        exec uvicorn config.asgi:application --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" \
            --workers "${WEB_CONCURRENCY:-1}" --no-access-log --ws-per-message-deflate false \
            --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "$@" ;;
    live)
        # Changes reach a live process only through Redis: without it the
        # dashboards would open and never move.
        if [ -z "${REDIS_URL:-}" ]; then
            echo "the live role needs REDIS_URL: changes reach it through Redis" >&2
            exit 2
        fi
        # No lifespan: the gateway's connection pool is the only thing that
        # uses it, and the live app has no gateway.
        exec uvicorn config.live_asgi:application --host "${HOST:-0.0.0.0}" --port "${PORT:-8002}" \
            --workers "${WEB_CONCURRENCY:-1}" --no-access-log --ws-per-message-deflate false --lifespan off \
            --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "$@" ;;
    gateway)
        exec uvicorn gateway.main:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8001}" \
            --workers "${WEB_CONCURRENCY:-1}" --no-access-log \
            --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "$@" ;;
    worker)
        exec celery -A config.celery_app worker -l "${LOG_LEVEL:-INFO}" \
            --concurrency "${WORKER_CONCURRENCY:-2}" "$@" ;;
    beat)
        exec celery -A config.celery_app beat -l "${LOG_LEVEL:-INFO}" \
            --schedule /tmp/celerybeat-schedule "$@" ;;
    migrate)
        exec python manage.py migrate --noinput "$@" ;;
    demo)
        python manage.py migrate --noinput
        python manage.py seed_demo
        exec python manage.py ensure_demo_login --port "${DEMO_PORT:-8080}" ;;
    *)
        exec "$role" "$@" ;;
esac
