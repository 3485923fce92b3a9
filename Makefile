# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
# Everything else (the virtual environment, dependencies) is set up on the way.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean screenshots

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Keyworker needs Python 3.11 or newer; install it and run make again." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev]'
	@touch $(STAMP)

# Opens Keyworker on the synthetic demo caseload (created on first use in its own folder).
run: $(STAMP)
	$(BIN)/keyworker --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check keyworker_app tests benchmarks
	$(BIN)/ruff format --check keyworker_app tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The README's screenshots, rendered by `keyworker --screenshot` from the current code.
screenshots: $(STAMP)
	docs/make_screenshots.sh
