# Registrant Dashboard: the two commands of the README, and a few helpers.
#   make run    install, migrate, seed the demo once, serve on 127.0.0.1:$(PORT)
#   make test   install what tests need, start throwaway PostgreSQL + Redis, run everything

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test install install-dev lint lock serve bench clean worker

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.lock
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_demo_login --port $(PORT)
	$(VENV)/bin/uvicorn config.asgi:application --host 127.0.0.1 --port $(PORT) --no-access-log \
		--ws-per-message-deflate false

test: install-dev
	scripts/install-test-packages.sh
	scripts/run-tests.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# Regenerate the lock files after changing pyproject.toml (needs `uv`).
lock:
	uv pip compile pyproject.toml -o requirements.lock -q
	uv pip compile pyproject.toml --extra dev -o requirements-dev.lock -q

# A Celery worker for imports; needs REDIS_URL (docs/operations.md).
worker: install
	$(VENV)/bin/celery -A config.celery_app worker -l info

bench: install-dev
	$(PY) bench/scan_throughput.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm test-artifacts
