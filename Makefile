# ledgerlake: `make demo` and `make test` are the whole set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: help install demo test lint fmt bench lock browser java sam checkov clean

help:
	@echo "make demo   - install, start the local S3 lake, simulate the company, run the pipeline, serve the dashboard"
	@echo "make test   - install, lint and run every test"
	@echo "make lint   - ruff (Python) and sqlfluff (dbt SQL): fails on any violation, changes nothing"
	@echo "make fmt    - apply the mechanical fixes (ruff format + ruff --fix, sqlfluff fix), then lint"
	@echo "make bench  - run the benchmarks and write docs/benchmarks.md figures"
	@echo "make lock   - re-resolve requirements.lock from pyproject.toml"

# The environment: a venv with exactly the locked versions (uv resolves and installs fast;
# it is itself installed from PyPI into the venv, so nothing global is touched).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the browser tests (Debian's package; Playwright cannot download one).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Java for local Spark (#21: the mart-by-mart parity test runs dbt-spark on pyspark; Debian's package).
java:
	@test -x /usr/bin/java || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Tools whose pins conflict with the app's get a venv each, from their own hashed lock:
# the SAM CLI pins a click that conflicts with dbt-core's; checkov (the template's
# security scan) pins its own boto3/pydantic ranges.
define tool_venv
$(1)/.installed: $(2)
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(1)/bin/uv pip install -q --python $(1)/bin/python --require-hashes -r $(2)
	touch $$@
endef
$(eval $(call tool_venv,$(SAM_VENV),requirements-sam.lock))
$(eval $(call tool_venv,$(CHECKOV_VENV),requirements-checkov.lock))

sam: $(SAM_VENV)/.installed
checkov: $(CHECKOV_VENV)/.installed

demo: install
	$(BIN)/ledgerlake demo

# Two pytest-xdist workers: the suite's time is mostly single-threaded Python (landing, HTTP
# servers, simulation) beside multi-threaded DuckDB/Spark builds, so two processes keep both
# cores busy. Tests sharing an expensive session fixture stay on one worker (tests/conftest.py,
# pytest_collection_modifyitems). PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= 2
test: install browser java sam checkov lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

# House style (#22; config in pyproject.toml [tool.ruff] and .sqlfluff, reasons in
# docs/DECISIONS.md). sqlfluff renders every model through the project's own macros
# (jinja templater), so it needs no database; it is the slow half (~1 s a file).
SQL := transforms/models transforms/macros transforms/tests
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint $(SQL) --processes 2 --disable-progress-bar

# The fixers: everything they cannot fix, `make lint` (the last step) names.
fmt: install
	$(BIN)/ruff check --fix-only --exit-zero .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix $(SQL) --processes 2 --disable-progress-bar || true
	$(MAKE) lint

bench: install
	$(BIN)/python -m ledgerlake.bench $(AREAS)

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev -p 3.11 -o requirements.lock -q --no-header --generate-hashes
	$(BIN)/uv pip compile requirements-sam.in -p 3.11 -o requirements-sam.lock -q --no-header --generate-hashes
	$(BIN)/uv pip compile requirements-checkov.in -p 3.11 -o requirements-checkov.lock -q --no-header --generate-hashes

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .ledgerlake .pytest_cache
