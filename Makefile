# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
# Everything else (the virtual environment, dependencies) is set up on the way.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-long lint bench clean screenshots package docs

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Keyworker needs Python 3.11 or newer; install it and run make again." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev]'
	@touch $(STAMP)

# Opens Keyworker on the synthetic demo caseload (created on first use in its own folder).
run: $(STAMP)
	$(BIN)/keyworker --demo

# The checks (ruff, the import contracts, mypy), every test, then pip-audit of the dependencies
# (a network problem is reported, not a failure). The reliability drills run in their short
# form; `make test-long` runs them at full length.
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest
	$(BIN)/python tests/tools/audit_dependencies.py

test-long: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --long-drills tests/drills \
		tests/integration/test_crash_safety.py tests/security

lint: $(STAMP)
	$(BIN)/ruff check keyworker_app tests benchmarks
	$(BIN)/ruff format --check keyworker_app tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

# Benchmarks: a table on the screen, the figures as JSON in $(BENCH_OUT). QUICK=1: under 3 min.
# A Python already on PATH with Keyworker installed from this checkout is used as it is.
BENCH_OUT ?= benchmarks/latest.json
BENCH_PY := $(shell p=$$(command -v python 2>/dev/null) && "$$p" -I -c 'import sys, pathlib, \
	keyworker_app as k; sys.exit(pathlib.Path(k.__file__).resolve().parents[1] != \
	pathlib.Path("$(CURDIR)").resolve())' 2>/dev/null && echo "$$p")
bench: $(if $(BENCH_PY),,$(STAMP))
	BENCH_OUT=$(BENCH_OUT) QT_QPA_PLATFORM=offscreen $(or $(BENCH_PY),$(BIN)/python) \
		benchmarks/run.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist

# The desktop app for this machine as one folder with its own Python (dist/Keyworker/), tried
# once; on Linux also packed as dist/keyworker-VERSION-linux-ARCH.tar.gz. On Windows, build the
# installer from it with `iscc packaging\windows\keyworker.iss` (see packaging/README.md).
package: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/keyworker.spec
	QT_QPA_PLATFORM=offscreen dist/Keyworker/Keyworker --version
	@if [ "$$(uname -s)" = Linux ]; then \
		name=keyworker-$$($(BIN)/python -c 'import keyworker_app as k; print(k.__version__)')-linux-$$(uname -m); \
		tar -C dist -czf dist/$$name.tar.gz Keyworker && echo "Built dist/Keyworker/ and dist/$$name.tar.gz"; \
	else echo "Built dist/Keyworker/"; fi

# The README's screenshots, rendered by `keyworker --screenshot` from the current code.
screenshots: $(STAMP)
	docs/make_screenshots.sh

# The settings example (docs/keyworker.example.toml) and the IT guide's settings table, written
# from keyworker_app/settings_catalogue.py; a test fails when they differ from it.
docs: $(STAMP)
	$(BIN)/python -m keyworker_app.settings_docs
