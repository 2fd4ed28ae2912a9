# ordermesh — `make run` to try it, `make test` to prove it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The suite runs on every core (pytest-xdist; loadgroup keeps the demo tests of a database
# kind on one worker, docs/architecture.md "Tests"); PYTEST_ARGS= runs it in one process.
PYTEST_ARGS ?= -n auto --dist loadgroup

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# make run PORT=8100 (HOST=0.0.0.0) serves elsewhere; unset, ORDERMESH_PORT/ORDERMESH_HOST
# or 127.0.0.1:8000 apply.
run: $(STAMP)
	$(BIN)/ordermesh quickstart $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
