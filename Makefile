# minlaege — two commands for a new user: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgres lint bench venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/minlaege serve --demo --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check app adapters mobile_api tests bench
	$(BIN)/ruff format --check app adapters mobile_api tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Without MINLAEGE_TEST_POSTGRES_DSN the PostgreSQL half of the suite skips; say so on the
# last line, so a local green run is not taken for a full one.
PG_TEST_DSN ?= postgresql://minlaege:minlaege@127.0.0.1:5432/minlaege_test
# pytest-xdist workers: each test has its own database (file or schema) and port
TEST_WORKERS ?= 2

test: lint
	@$(BIN)/pytest -q -n $(TEST_WORKERS); rc=$$?; \
	if [ -z "$$MINLAEGE_TEST_POSTGRES_DSN" ]; then \
	  echo "NOTE: the PostgreSQL half of the suite was SKIPPED (MINLAEGE_TEST_POSTGRES_DSN is unset): run 'make test-postgres' to start Debian's PostgreSQL and run it, or MINLAEGE_TEST_POSTGRES_DSN=postgresql://user:pass@host/db make test"; \
	fi; exit $$rc

# The whole suite on both engines: starts the local Debian PostgreSQL cluster (installed
# with `apt-get install postgresql`; .ci/run does that in CI) and makes the test database.
test-postgres: lint
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
	  echo "PostgreSQL is not installed: sudo apt-get install postgresql postgresql-contrib"; \
	  exit 1; }
	bash .ci/start-postgres.sh
	MINLAEGE_TEST_POSTGRES_DSN=$(PG_TEST_DSN) $(BIN)/pytest -q -n $(TEST_WORKERS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
