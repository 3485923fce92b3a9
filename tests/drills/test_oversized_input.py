"""Oversized input costs the program little memory: a spreadsheet of one gigabyte-long line
through both command lines, run as real processes whose peak memory is read from the kernel.

Unix only (``os.wait4`` gives a finished child's peak resident set)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GIGABYTE = 1 << 30
# Python, SQLAlchemy and the app's imports come to well under this; reading the file whole
# took 7.4 GB.
PEAK_LIMIT = 250 * 1024 * 1024

pytestmark = pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs os.wait4 (Unix)")


def peak_of(command: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[int, str, int]:
    """Run ``command``; its exit code, standard error and peak resident set in bytes."""
    err = tmp_path / "stderr.txt"
    with err.open("wb") as stderr:
        child = subprocess.Popen(
            command,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # macOS counts bytes, Linux kilobytes
    return child.returncode, err.read_text(), usage.ru_maxrss * scale


@pytest.fixture
def gigabyte_line(tmp_path: Path) -> Path:
    """A header, a good row, then a line of a gigabyte (sparse: no disk space is used)."""
    path = tmp_path / "one-long-line.csv"
    with path.open("wb") as file:
        file.write(b"reference,given_name,family_name,date_of_birth\nYP-1,Ava,Stone,2010-01-02\n")
        file.truncate(GIGABYTE)
    return path


def laptop_env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KEYWORKER_", "XDG_"))},
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "KEYWORKER_ALLOW_INSECURE_KEYRING": "1",
        "KEYWORKER_PASSPHRASE": "correct horse battery staple 42",
    }


@pytest.mark.parametrize("program", ["keyworker", "keyworker-server"])
def test_a_gigabyte_line_is_refused_naming_it_without_reading_the_file(
    tmp_path: Path, gigabyte_line: Path, program: str
) -> None:
    if program == "keyworker":
        command = [sys.executable, "-m", "keyworker_app", "--data-dir", str(tmp_path / "caseload")]
        env = laptop_env(tmp_path)
    else:
        command = [sys.executable, "-m", "keyworker_app.server.cli"]
        command += ["--data-dir", str(tmp_path / "central")]
        env = dict(os.environ)
    code, err, peak = peak_of([*command, "import-csv", str(gigabyte_line)], tmp_path, env)
    assert code == 1 and "Traceback" not in err
    first, last = err.strip().splitlines()[-2:]
    assert first == (
        "The file is not a caseload spreadsheet: line 3 is longer than 65,536 characters, "
        "far more than any caseload row; check you chose the right file."
    )
    assert last.startswith("Nothing was imported: 1 problem(s)")
    print(f"{program} import-csv of a 1 GB line: peak resident set {peak / 2**20:.0f} MB")
    assert peak < PEAK_LIMIT
