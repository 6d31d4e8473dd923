# The two commands of the README, and the steps they are made of.
# `make run`  : install into .venv, build the SPA, run CNN 101 as local processes.
# `make test` : install into .venv, then lint, type-check and run every test.

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
NODE_STAMP := $(VENV)/.nodeenv
NPM_STAMP := frontend/node_modules/.installed
# Node comes into the virtual environment through nodeenv, linked to the machine's Node.
NODE_PATH_ENV := PATH="$(BIN):$$PATH"

.PHONY: install lock run test lint typecheck pytest protos frontend frontend-check clean

# Python packages come from uv.lock only (`make lock` refreshes it). uv itself is pinned here
# and in the lock's dev extra, so the sync below keeps the same uv in the environment.
UV_VERSION := 0.13.9
UV := UV_PROJECT_ENVIRONMENT=$(abspath $(VENV)) $(BIN)/uv

$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "CNN 101 needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --locked --all-extras --python $(BIN)/python
	touch $(STAMP)

$(NODE_STAMP): $(STAMP)
	@command -v node >/dev/null || { echo "Node.js 20 is needed: apt-get install nodejs npm"; exit 1; }
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/nodeenv -p --node=system
	touch $(NODE_STAMP)

$(NPM_STAMP): frontend/package-lock.json $(NODE_STAMP)
	cd frontend && $(NODE_PATH_ENV) npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP)

# Re-resolve every Python dependency to today's newest allowed versions and rewrite uv.lock.
lock: $(STAMP)
	$(UV) lock --upgrade

frontend: $(NPM_STAMP)
	cd frontend && $(NODE_PATH_ENV) npm run build

frontend-check: $(NPM_STAMP)
	$(BIN)/python scripts/export_openapi.py --check
	cd frontend && $(NODE_PATH_ENV) npm run check:proto
	cd frontend && $(NODE_PATH_ENV) npm run check:api
	cd frontend && $(NODE_PATH_ENV) npm run format:check
	cd frontend && $(NODE_PATH_ENV) npm run lint
	cd frontend && $(NODE_PATH_ENV) npm run typecheck
	cd frontend && $(NODE_PATH_ENV) npm test

run: install frontend
	$(BIN)/cnn101 run

protos: install
	$(BIN)/python scripts/gen_protos.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/gen_protos.py --check
	$(BIN)/python scripts/access_table.py --check

typecheck: install
	$(BIN)/mypy
	# the benchmarks and compose's secrets generator (scripts, not packages)
	$(BIN)/mypy --strict scripts infra/compose/secrets_init.py infra/k8s/make_secrets.py

pytest: install frontend
	$(BIN)/python -m pytest

test: lint typecheck frontend-check pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache frontend/node_modules frontend/dist
