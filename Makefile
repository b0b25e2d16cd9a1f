# hqfacts developer entry points. `make` (or `make help`) lists the targets.
#
# Local stack (no Docker): Kafka 3.9 KRaft on 127.0.0.1:29092, PostgreSQL on 127.0.0.1:55432,
# all runtime data under .local/ (see deploy/local/*.sh).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
# python3.11 if present, else python3 (checked to be >= 3.11 below).
PYTHON      ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
SEED        ?= https://hddtvn.com/
CORPUS      ?=
PYTEST_ARGS ?=
WORKERS     ?= 1
STORES      ?= 1

# The local stack's URLs, with the passwords `make up` generated (.local/hqfacts.env, mode 0600): read when a
# recipe runs (recursive variables), so a fresh clone's `make test` sees them once `up` has written the file.
# Values already in the environment win. HQ_DATABASE_URL is the runtime role, HQ_MIGRATION_DATABASE_URL the
# migration owner (docs/security.md, "Trust boundaries").
LOCAL_ENV   := $(or $(HQ_LOCAL),.local)/hqfacts.env
local_env    = $(shell sed -n 's/^$(1)=//p' $(LOCAL_ENV) 2>/dev/null)
export HQ_KAFKA_BOOTSTRAP        ?= 127.0.0.1:29092
export HQ_DATABASE_URL           ?= $(call local_env,HQ_DATABASE_URL)
export HQ_MIGRATION_DATABASE_URL ?= $(call local_env,HQ_MIGRATION_DATABASE_URL)

.PHONY: help venv up down status migrate lint test demo run bench clean tools

help: ## list targets
	@echo "hqfacts make targets:"
	@awk -F ':.*## ' '/^[a-z][a-zA-Z_-]*:.*## / { printf "  %-9s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "variables: SEED=$(SEED)  CORPUS=<dir> (demo)  WORKERS=K STORES=M (run)  PYTEST_ARGS='-k foo' (test)"

venv: $(STAMP) ## create .venv and install the project with [dev] extras (re-run when pyproject.toml changes)
	@:

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "no python3.11/python3 found" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "need Python >= 3.11, got " + sys.version)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]' </dev/null
	@touch $@

up: venv ## start Kafka + PostgreSQL (idempotent); prints where the logs are
	@deploy/local/up.sh

down: ## stop Kafka + PostgreSQL (data in .local/ kept)
	@deploy/local/down.sh

status: ## show whether Kafka and PostgreSQL are up
	@deploy/local/status.sh

migrate: up ## alembic upgrade head on the local database
	$(BIN)/alembic upgrade head

tools: ## install test-only tools (docker-compose, for the offline compose check)
	@deploy/local/tools.sh

lint: venv ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy services

test: tools migrate ## run the whole test suite (PYTEST_ARGS passed to pytest)
	@rc=0; $(BIN)/pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests collected (exit 5) - treated as success"; exit 0; fi; \
	exit $$rc

demo: migrate ## run the demo pipeline (CORPUS=<dir> to use a local corpus)
	$(BIN)/hqfacts demo $(if $(CORPUS),--corpus $(CORPUS),)

run: migrate ## run the full pipeline from SEED (WORKERS=K extractors, STORES=M stores)
	$(BIN)/hqfacts run --seed $(SEED) --extractors $(WORKERS) --stores $(STORES)

bench: venv ## run the benchmarks
	$(BIN)/python -m bench

clean: down ## stop everything and delete .local/ (Kafka data, Postgres cluster, jars)
	rm -rf .local
