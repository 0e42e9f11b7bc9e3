# Huizhong — common tasks. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-pg test-e2e fuzz screenshots ci lint translations compile-translations install demo jobs clean chaos bench bench-render

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# `make install` sets up a development checkout: what production runs (requirements.txt) plus the
# test and lint tools (requirements-dev.txt includes requirements.txt). Production installs only
# requirements.txt.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

compile-translations: install
	$(BIN)/pybabel -q compile -d marketplace/translations

translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --project=Huizhong --copyright-holder="Huizhong contributors" -o marketplace/translations/messages.pot .
	$(BIN)/pybabel -q update -i marketplace/translations/messages.pot -d marketplace/translations --no-fuzzy-matching
	$(BIN)/pybabel -q compile -d marketplace/translations

run: compile-translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load
	@# The timer sweeper runs in the background while the web server runs, and stops with it.
	@if [ -f instance/jobs.pid ]; then kill $$(cat instance/jobs.pid) 2>/dev/null || true; rm -f instance/jobs.pid; fi
	@$(FLASK) jobs run --loop 30 > instance/jobs.log 2>&1 & echo $$! > instance/jobs.pid; \
	  echo "Timer sweeper: flask jobs run --loop 30 (pid $$(cat instance/jobs.pid), log in instance/jobs.log)"; \
	  trap 'kill $$(cat instance/jobs.pid) 2>/dev/null; rm -f instance/jobs.pid' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# Process the timers that are due now (what cron runs every minute in production).
jobs: install
	$(FLASK) jobs run

demo: compile-translations
	$(FLASK) db upgrade
	$(FLASK) demo load

test: compile-translations
	$(BIN)/python -m pytest -q tests

test-pg: compile-translations
	DATABASE_URL=$${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest -q tests/unit tests/integration

test-e2e: compile-translations
	$(BIN)/python -m pytest -q tests/e2e

# Schemathesis against the live app (a scratch SQLite database with the demo data, gunicorn on
# FUZZ_PORT or a free port): every operation of /api/v1/openapi.json, no 5xx, answers as documented.
fuzz: compile-translations
	$(BIN)/python tests/fuzz/run_schemathesis.py $(if $(FUZZ_PORT),--port $(FUZZ_PORT))

# Browser tests that also refresh the screenshots in docs/screenshots/ (commit them).
screenshots: compile-translations
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/e2e

# Restart PostgreSQL during a burst of funding, award and release requests against the app under
# gunicorn, then check that every request completed or left nothing and the ledger verifies
# (tests/chaos/run.py; its own database "chaos", port CHAOS_PORT). Restarts the local cluster: every
# other user of it sees a short outage.
CHAOS_PORT ?= 5120
chaos: compile-translations
	$(BIN)/python -m tests.chaos.run --port $(CHAOS_PORT)

ci:
	.ci/run

# Pages under load beside a minimal Flask + SQLAlchemy app over the same rows (bench/http.py, on
# PostgreSQL; wrk when installed). Seeds BENCH_TASKS tasks into BENCH_DATABASE_URL (created when
# missing) and prints requests per second, p99, the ratio to the minimal app and worker RSS, for
# Huizhong with its visitor page cache (version in Redis db 15 when Redis answers) and without it.
# The target figure is at 100k tasks: make bench BENCH_TASKS=100000 BENCH_SECONDS=20
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_http
BENCH_TASKS ?= 5000
BENCH_SECONDS ?= 5
BENCH_PORT ?= 5210
bench: compile-translations
	$(BIN)/python bench/http.py --url $(BENCH_DATABASE_URL) --tasks $(BENCH_TASKS) --seconds $(BENCH_SECONDS) --port $(BENCH_PORT)

# The same three paths in-process, beside the minimal app (bench/render.py: ms per request, wall-clock
# and CPU, and the ratios) over BENCH_DATABASE_URL's tasks (seeded by make bench); PROF=1 adds the
# top of a cProfile of each path. Where a page's time goes, without a server.
bench-render: compile-translations
	$(BIN)/python bench/render.py --url $(BENCH_DATABASE_URL) $(if $(PROF),--prof)

# Style (ruff), the dependency order between domains (import-linter, contracts in .importlinter) and
# security (bandit: any high-severity finding fails).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/bandit -q -r marketplace config.py wsgi.py --severity-level high

clean:
	rm -rf $(VENV) instance .pytest_cache screenshots-tmp
