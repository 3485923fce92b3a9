"""The command line starts light: the commands that need no caseload never load the store, the
keyring, the central store's client or Qt (start-up time is measured, not asserted: run
`python -X importtime -m keyworker_app --version`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyworker_app.cli.caseload import SCOPES
from keyworker_app.store.caseload import Scope

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "sqlcipher3", "keyring", "httpx", "reportlab", "PySide6")
# Runs one command in a fresh interpreter and prints its exit code and which of HEAVY it loaded.
PROBE = f"""
import contextlib, io, json, sys
from keyworker_app.launcher import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & {set(HEAVY)!r})
print(json.dumps({{"code": code, "loaded": loaded}}))
"""


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--help"], ["caseload", "--help"], ["settings", "--json"], ["forms", "list"]],
)
def test_commands_that_need_no_caseload_start_without_the_store(
    argv: list[str], tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KEYWORKER_", "XDG_"))},
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"code": 0, "loaded": []}


def test_the_scope_choices_are_the_stores() -> None:
    assert tuple(s.value for s in Scope) == SCOPES
    assert Scope.ALL.value in SCOPES
