# Zhongfu — the two commands are `make run` and `make test`; everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
ZF := $(BIN)/zhongfu
HOUSEHOLDS ?= 20000
HOST ?= 127.0.0.1
PORT ?= 8000
B ?= democity
N ?= 100000
# pytest-xdist workers for `make test`: one per core (conftest.py keeps the tests that start processes of
# their own together on one worker, handed out first); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto
export PYTHONDONTWRITEBYTECODE := 1
# The machine-wide pip configuration points at local mirrors a fresh machine may not have.
export PIP_CONFIG_FILE := /dev/null
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint bench setup deps-python deps-npm deps-system messages static db demo clean

# --- set-up -------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

deps-python: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps-npm: node_modules/.installed

# Debian packages the browser tests and message compilation need; installed only when missing.
deps-system:
	@command -v chromium >/dev/null && command -v msgfmt >/dev/null && fc-list 2>/dev/null | grep -qi "noto.*cjk" || { \
	  echo "installing Debian packages: chromium gettext fonts-noto-cjk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext fonts-noto-cjk >/dev/null; }

messages: deps-python
	cd src/zhongfu && ../../$(ZF) compilemessages -v 0

static: deps-python deps-npm
	$(ZF) collectstatic --noinput -v 0

setup: deps-python deps-npm messages static

db: setup
	$(ZF) migrate --noinput -v 0
	$(ZF) policies sync
	$(ZF) workdays sync
	$(ZF) monitoring_sync

demo: db
	$(ZF) demo --households $(HOUSEHOLDS) --if-empty

# --- the two commands ---------------------------------------------------------
run: demo
	$(ZF) daily
	$(ZF) demo_logins
	@echo "Zhongfu: http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(ZF) db_worker & \
	  $(BIN)/gunicorn zhongfu.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile - --log-level warning

test: setup deps-system
	$(BIN)/ruff check .
	$(ZF) makemigrations --check --dry-run -v 0
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: deps-python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench || true

bench: setup
	$(BIN)/python bench/$(B).py --n $(N)

clean:
	rm -rf $(VENV) node_modules var staticfiles
