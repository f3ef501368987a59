# CareCircle 关爱圈: developer entry points. `make` or `make help` lists them.
#
# Every command runs the project's own interpreter, .venv/bin/python, explicitly:
# nothing here needs (or notices) an activated virtual environment.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

# Interpreter that creates the venv (3.11+). Override: make venv PYTHON=python3.12
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
# Extra pytest arguments: make test ARGS='-k screening -x'
ARGS ?=
# pytest-xdist workers: make test JOBS=0 for one process
JOBS ?= auto
HOST ?= 127.0.0.1
PORT ?= 8000

# Settings load only with secrets. Commands that touch no data get throwaway ones,
# in test mode so that .env (and its real keys) is neither needed nor read.
THROWAWAY := $$($(PY) scripts/make_env.py --throwaway)
CHECK_ENV := env CARECIRCLE_ENV=test DATABASE_URL=sqlite://:memory: $(THROWAWAY)

.PHONY: help venv env migrate demo run test test-pg lint fmt typecheck migrations-check \
	messages messages-check deploy-check bench ci clean distclean

help: ## Show this list of targets
	@echo "CareCircle 关爱圈: make TARGET   (first time: make run)"
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: ARGS='pytest args' JOBS=auto|N (test), PYTHON=python3 (venv), HOST/PORT (run)"

# --- Set-up ---------------------------------------------------------------------

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "CareCircle needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "Run: make venv PYTHON=python3.11" >&2; exit 1; }
	@if [ ! -x $(PY) ]; then echo "==> Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); fi
	@echo "==> Installing CareCircle and its pinned dependencies into $(VENV)"
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP) ## Create .venv and install the pinned deps (again only when pyproject.toml changes)

env: venv ## Write .env with random development keys (never overwrites an existing one)
	@$(PY) scripts/make_env.py

migrate: venv env ## Apply database migrations (development database, var/ by default)
	$(MANAGE) migrate --noinput

demo: migrate ## Load the demo district unless the database already has data
	$(MANAGE) seed_demo --if-empty

run: venv env migrate demo ## Serve the demo on http://127.0.0.1:8000 with the background worker
	@echo
	@$(MANAGE) demo_logins
	@echo
	@echo "==> Worker in the background, server on http://$(HOST):$(PORT)/ (Ctrl-C stops both)"
	@$(MANAGE) run_worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

# --- Tests and checks -----------------------------------------------------------

# Parallel when pytest-xdist imports; the suite itself runs in CARECIRCLE_ENV=test.
XDIST = $$($(PY) -c 'import xdist' >/dev/null 2>&1 && echo '-n $(JOBS)')
PYTEST = CARECIRCLE_ENV=test $(VENV)/bin/pytest $(XDIST) $(ARGS)

test: venv ## Run the test suite on SQLite (ARGS='-k name -x' passes options to pytest)
	$(PYTEST)

test-pg: venv ## Run the test suite on a throwaway PostgreSQL 15 cluster
	@export PGSTATE=$$(mktemp -u /tmp/carecircle-pg-make.XXXXXX.state); \
	scripts/pg_cluster.sh start >/dev/null; \
	trap 'scripts/pg_cluster.sh stop' EXIT; \
	export DATABASE_URL=$$(scripts/pg_cluster.sh url); \
	echo "==> DATABASE_URL=$$DATABASE_URL"; \
	$(PYTEST)

lint: venv ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv ## Fix what ruff can fix and reformat
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv ## mypy on carecircle and config
	$(CHECK_ENV) $(VENV)/bin/mypy carecircle config

migrations-check: venv ## Fail if a model change lacks its migration
	$(CHECK_ENV) $(MANAGE) makemigrations --check --dry-run

messages: venv ## Update locale/zh_Hans .po from the code, then compile .mo
	$(CHECK_ENV) $(MANAGE) makemessages -l zh_Hans --no-obsolete \
		--ignore=staticfiles --ignore=var --ignore=media --ignore='*.egg-info'
	$(CHECK_ENV) $(MANAGE) compilemessages -l zh_Hans --ignore=$(VENV) --ignore=staticfiles

messages-check: venv ## Fail on untranslated, fuzzy or stale Chinese messages
	$(CHECK_ENV) $(PY) scripts/check_messages.py

deploy-check: venv ## manage.py check --deploy in production mode, zero warnings allowed
	env CARECIRCLE_ENV=production DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=carecircle.example.cn \
		$(THROWAWAY) $(MANAGE) check --deploy --fail-level WARNING

bench: venv ## Run the benchmarks under bench/ and print their ratios
	@if [ -f bench/__main__.py ]; then $(PY) -m bench $(ARGS); \
	else echo "No benchmarks yet: bench/__main__.py is missing."; fi

ci: lint migrations-check deploy-check test ## What CI checks, short of PostgreSQL and e2e set-up (.ci/run)

# --- Housekeeping -----------------------------------------------------------------

clean: ## Remove caches and build output (keeps .env, var/ and .venv)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis staticfiles build

distclean: clean ## Also remove .venv (keeps .env and var/: their keys and data)
	rm -rf $(VENV)
