# Huizhong — common tasks. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-pg test-e2e lint translations compile-translations install demo jobs clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
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
	@echo "Timer sweeper: flask jobs run --loop 30 (in the background)"
	@($(FLASK) jobs run --loop 30 > instance/jobs.log 2>&1 &) || true
	$(FLASK) run --host $(HOST) --port $(PORT)

demo: compile-translations
	$(FLASK) db upgrade
	$(FLASK) demo load

test: compile-translations
	$(BIN)/python -m pytest -q tests

test-pg: compile-translations
	DATABASE_URL=$${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest -q tests/unit tests/integration

test-e2e: compile-translations
	$(BIN)/python -m pytest -q tests/e2e

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
