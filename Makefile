# Crit — the two commands a newcomer runs are `make run` and `make test`.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# The test suite runs on the real stack: PostgreSQL and Redis on this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crit
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint format install migrate seed worker bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "  Crit is starting at http://$(HOST):$(PORT)/"
	@echo "  Sign in as alice / demo (author), bob / demo or carol / demo (reviewers)."
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	$(BIN)/celery -A config worker --loglevel=info --concurrency=2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy accounts designs reviews exports api config demo

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest

# docs/architecture.md is the Markdown export of Crit's own design, seeded by seed_demo.
docs: seed
	$(BIN)/python manage.py architecture_doc

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var/*.sqlite3 var/media
