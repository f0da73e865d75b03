# The commands people use. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers (this machine has two cores); each gets its own test database.
PYTEST_ARGS ?= -n 2

.PHONY: install run test lint format messages bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## Run the app on its embedded defaults: PostgreSQL from a wheel, its data in .devdb/
## (kept from one run to the next; unless DATABASE_URL is set), Celery eager, SMS and
## e-mail on the console. The embedded server stops with the web server.
run: install
	$(BIN)/python manage.py devdb start --when-unset
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	trap '$(BIN)/python manage.py devdb stop --when-unset' EXIT INT TERM; \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (lint, then pytest on PostgreSQL with headless Chromium).
## PostgreSQL: DATABASE_URL, else the machine's server, else the embedded one.
test: install
	PYTHON=$(BIN)/python bash scripts/ensure-test-services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Extract the strings of the code and templates into locale/<language>/django.po for
## every language of settings.LANGUAGES, then compile them (core/management/commands/
## messages.py). tests/test_catalogues.py fails when this was not run.
messages: install
	$(BIN)/python manage.py messages

## Run every benchmark (bench/*/run.sh) on its small defaults, one after the other;
## each prints its figures, the machine and its ratios. Fails if one fails.
## The soak runs SOAK_SECONDS of traffic here (10 minutes: bench/soak/run.sh alone).
SOAK_SECONDS ?= 90
bench: install
	@status=0; for b in bench/*/run.sh; do \
		echo "--- $$b"; PYTHON=$(BIN)/python SOAK_SECONDS=$(SOAK_SECONDS) bash "$$b" || status=1; \
	done; exit $$status

## PNGs of each role's main pages in docs/screenshots/ (French and Arabic, phone and
## desktop width), on the demo data as `make run` has it, from a server of its own.
screenshots: install
	$(BIN)/python scripts/screenshots.py

## Also deletes the embedded database's data (.devdb/).
clean:
	-[ ! -x $(BIN)/python ] || $(BIN)/python manage.py devdb stop
	rm -rf $(VENV) .devdb staticfiles
