# One image for every process of Registrant Dashboard; the command picks the
# role (deploy/entrypoint.sh): web (default), gateway, worker, beat, migrate, demo.
#
#   docker build -t registrant-dashboard .
#   docker build --build-arg BASE=rd-base:bookworm --network host -t registrant-dashboard .
#
# BASE is any Debian-like image with Python 3.11 and its venv module: the
# public python:3.11-slim by default, or a local base built without a
# registry (scripts/docker-smoke.sh). Wheels in deploy/wheels/ (made with
# `pip download -r requirements.lock -d deploy/wheels`) are installed with
# --no-index, so an air-gapped build needs no package index.
ARG BASE=python:3.11-slim

# --- build: the virtualenv and the collected static files -----------------------
FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY requirements.lock ./
COPY deploy/wheels/ /wheels/
RUN python3 -m venv /opt/venv \
    && if ls /wheels/*.whl >/dev/null 2>&1; then \
         /opt/venv/bin/pip install --no-index --find-links /wheels -r requirements.lock; \
       else \
         /opt/venv/bin/pip install -r requirements.lock; \
       fi
COPY . .
# A throwaway key: collectstatic reads the settings, never signs anything.
RUN rm -rf deploy/wheels \
    && DJANGO_SETTINGS_MODULE=config.settings.production \
       SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything \
       /opt/venv/bin/python manage.py collectstatic --noinput -v 0 \
    && /opt/venv/bin/python -m compileall -q config registrants dashboard live gateway imports

# --- runtime: Python, the virtualenv, the code; no pip cache, no compiler ----------
FROM ${BASE}
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    IMPORT_UPLOAD_DIR=/app/var/imports \
    DEMO_LOGIN_DIR=/app/var/demo
COPY --from=build /opt/venv /opt/venv
# The code belongs to root and is read-only to the app user; only var/
# (uploads waiting for their import, the demo login) is writable.
COPY --from=build /app /app
RUN mkdir -p /app/var/imports /app/var/demo /app/var/mail && chown -R app:app /app/var
WORKDIR /app
USER app
EXPOSE 8000 8001
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
