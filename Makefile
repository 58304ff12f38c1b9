# System Design Tutor: `make run` serves it, `make test` tests it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests use PostgreSQL and Redis on localhost unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tutor
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test bench accuracy cluster lint typecheck format check-services clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install, migrate, import the shipped problem sets, create demo accounts, serve.
## Embedded default (SQLite, tasks in process) unless DATABASE_URL and REDIS_URL are set;
## with REDIS_URL, a Celery worker with beat (-B), which sweeps up reports whose worker died.
run: $(STAMP)
	@export DEBUG=$${DEBUG:-1}; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py import_problemset fixtures/problemsets/*.yaml && \
	echo "Demo accounts (for this machine only):" && \
	$(BIN)/python manage.py create_demo_accounts && \
	if [ -n "$$REDIS_URL" ]; then \
		$(BIN)/celery -A tutor worker -B --loglevel=warning --concurrency=2 & \
		worker=$$!; trap "kill $$worker 2>/dev/null" EXIT; \
	fi; \
	echo "Serving on http://$(HOST):$(PORT)/"; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the type check, then the whole suite against PostgreSQL and Redis, with a real
## Chromium.
test: $(STAMP) typecheck check-services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	SECRET_KEY=test-only-secret DEBUG=0 SECURE_COOKIES=0 \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: the rules and a whole grading in process; phase 2's estimate in process and
## save-to-report-visible through one worker; in process, what Django costs before the
## tutor's own work (scripts/bench_framework.py); then gunicorn (a process per core) with one Celery
## worker: req/s, p50/p99 of /healthz/live, a phase page and the htmx save-and-check at
## 16 connections, and the load run (50 learners for 60 s). About 4 minutes in all; each
## step is bounded. PostgreSQL (database tutor_bench) and Redis (db 1) on localhost
## unless DATABASE_URL / REDIS_URL say otherwise.
bench: $(STAMP)
	timeout 120 $(BIN)/python scripts/bench_rules.py
	timeout 150 $(BIN)/python scripts/bench_estimate.py 50
	timeout 150 $(BIN)/python scripts/bench_framework.py
	timeout 240 $(BIN)/python scripts/bench_http.py
	timeout 240 $(BIN)/python scripts/load_run.py

## accuracy: the rules against the labelled corpus in fixtures/accuracy/ (see its README):
## planted mistakes caught, false errors and warnings on sound designs, per problem and in
## total. No database or Redis needed. ACCURACY_ARGS="-v" lists warnings and catches,
## "--json" prints JSON, "--strict" fails on a false error.
accuracy: $(STAMP)
	$(BIN)/python scripts/accuracy.py $(ACCURACY_ARGS)

## cluster: two gunicorn instances behind HAProxy and two Celery workers on one PostgreSQL
## (database <name>_cluster beside DATABASE_URL's) and one Redis (db CLUSTER_REDIS_DB, 2 by
## default, emptied first); simulated learners save while one instance and one worker are
## killed: no acknowledged save lost, every report done. About a minute; `make test` runs it
## too (tests/tutor/test_cluster.py). Needs Debian's haproxy.
cluster: $(STAMP) check-services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/python scripts/cluster_check.py

check-services: $(STAMP)
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/python scripts/check_services.py

# mypy, configured in pyproject.toml: strict on phases/, with django-stubs on tutor/ and
# scripts/. The stubs' plugin imports tutor.settings, which wants a SECRET_KEY when DEBUG
# is off; a placeholder will do (nothing runs), and it needs no database or Redis.
MYPY := SECRET_KEY=$${SECRET_KEY:-typecheck-only} $(BIN)/mypy

## lint: ruff (check and format check), then the type check.
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(MYPY)

## typecheck: the type check alone (make test runs it first).
typecheck: $(STAMP)
	$(MYPY)

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache test-results
