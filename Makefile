# Crit — the two commands a newcomer runs are `make run` and `make test`.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

# The test suite runs on the real stack: PostgreSQL and Redis on this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crit
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint format install migrate seed worker bench docs dist clean mermaid assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What running Crit needs (`make run`, `make worker`).
$(RUN_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The same plus the dev extra: the tools of `make test` and `make lint`.
$(DEV_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

install: $(DEV_STAMP)

migrate: $(RUN_STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "  Crit is starting at http://$(HOST):$(PORT)/"
	@echo "  Sign in as alice / demo (author), bob / demo or carol / demo (reviewers)."
	@echo ""
	@# One ASGI server for pages, static files (WhiteNoise, from the source tree in DEBUG)
	@# and WebSockets; it restarts when a Python file changes. Django answers each request in
	@# a thread of its own under ASGI, so no persistent database connections (CONN_MAX_AGE=0).
	CONN_MAX_AGE=$${CONN_MAX_AGE:-0} $(BIN)/uvicorn config.asgi:application --reload \
		--host $(HOST) --port $(PORT) \
		--ws-max-size 1048576 --log-level info

worker: $(RUN_STAMP)
	$(BIN)/celery -A config worker --loglevel=info --concurrency=2

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy accounts designs reviews exports api config demo realtime search activity

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest

# docs/architecture.md is the Markdown export of Crit's own design, seeded by seed_demo.
docs: seed
	$(BIN)/python manage.py architecture_doc

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py

# Re-fetch the vendored mermaid.min.js (diagrams) from npm and check its pinned SHA-256.
mermaid:
	designs/diagrams/vendor/fetch.sh

# The browser bundles (frontend/<name>.js -> static/js/build/<name>.js), committed built so
# running Crit never needs Node. Run after changing frontend/ or package.json.
assets:
	npm ci --no-audit --no-fund --ignore-scripts
	npm run --silent build

# The wheel (templates, static files, checklists and demo content included) in dist/.
dist: | $(BIN)/python
	rm -rf build dist
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info var/*.sqlite3 var/media
