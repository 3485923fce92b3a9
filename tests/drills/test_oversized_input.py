"""Oversized input costs the program little memory: a spreadsheet of one gigabyte-long line
through both command lines, and 100 MB request bodies sent to a real central store process,
each run as a real process whose peak memory is read from the kernel.

Unix only (``os.wait4`` gives a finished child's peak resident set)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
GIGABYTE = 1 << 30
# Python, SQLAlchemy and the app's imports come to well under this; reading the file whole
# took 7.4 GB.
PEAK_LIMIT = 250 * 1024 * 1024

pytestmark = pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs os.wait4 (Unix)")


# Started from a small Python rather than from pytest: on Linux a process's peak counts the
# memory of the process it was forked from, and pytest's own is large after many tests.
MEASURE = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)


def peak_of(command: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[int, str, int]:
    """Run ``command``; its exit code, standard error and peak resident set in bytes."""
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        env={**env, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    code, peak = (int(n) for n in measured.stdout.split())
    scale = 1 if sys.platform == "darwin" else 1024  # macOS counts bytes, Linux kilobytes
    return code, measured.stderr, peak * scale


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


# -- request bodies ------------------------------------------------------------------------------

HUNDRED_MB = 100 * 1024 * 1024
# Memory the server may gain while refusing two 100 MB bodies: reading either would take
# hundreds of megabytes (about 550 MB before the limit).
GROWTH_LIMIT = 40 * 1024 * 1024


def peak_rss(pid: int) -> int:
    """The process's peak resident set so far (Linux's VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def hundred_megabytes() -> Iterator[bytes]:
    chunk = b'{"ops": [' + b" " * (1024 * 1024 - 9)
    for _ in range(100):
        yield chunk
        chunk = b" " * (1024 * 1024)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """A real `keyworker-server serve` process with one keyworker and one young person."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEYWORKER_PASSWORD": "drill password 123"}
    server = [sys.executable, "-m", "keyworker_app.server.cli", "--data-dir", str(tmp_path / "c")]
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "reference,given_name,family_name,date_of_birth,team,keyworker\n"
        "A001,Ava,Stone,2008-01-01,A,kwa1\n"
    )
    for command in (["add-team", "A"], ["add-user", "kwa1", "--role", "keyworker", "--team", "A"]):
        subprocess.run([*server, *command], env=env, check=True, capture_output=True)
    subprocess.run([*server, "import-csv", str(cases)], env=env, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [*server, "serve", "--port", str(port)], env=env, stdout=err, stderr=err
        )
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(address + "/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)  # waiting for the process to listen, not a timing assertion
        yield address, process, log
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_100_mb_body_is_refused_unread_by_a_real_server(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    address, process, log = served
    with httpx.Client(base_url=address, timeout=120) as client:
        assert client.get("/v1/health").json()["max_body_bytes"] == 16 * 1024 * 1024
        tokens = client.post(
            "/v1/auth/login",
            json={"user": "kwa1", "password": "drill password 123", "device_id": "laptop-1"},
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}

        def normal_push() -> None:
            pulled = client.post("/v1/sync/pull", json={}, headers=headers).json()
            [young_person] = [c for c in pulled["changes"] if c["record_type"] == "young_person"]
            op = {
                "op_id": str(uuid.uuid4()),
                "record_type": "contact",
                "record_id": str(uuid.uuid4()),
                "operation": "insert",
                "base_version": 0,
                "patch": {
                    "young_person_id": young_person["record_id"],
                    "contact_type": "home_visit",
                    "occurred_at": "2026-10-01T10:00:00+00:00",
                    "narrative": "A visit.",
                },
            }
            pushed = client.post("/v1/sync/push", json={"ops": [op]}, headers=headers)
            assert pushed.status_code == 200, pushed.text
            assert pushed.json()["results"][0]["status"] == "accepted"

        normal_push()
        before = peak_rss(process.pid)
        json_headers = {**headers, "content-type": "application/json"}
        chunked = client.post("/v1/sync/push", content=hundred_megabytes(), headers=json_headers)
        declared = client.post(
            "/v1/sync/push",
            content=hundred_megabytes(),
            headers={**json_headers, "content-length": str(HUNDRED_MB)},
        )
        after = peak_rss(process.pid)
        normal_push()  # and it carries on
    for answer in (chunked, declared):
        assert answer.status_code == 413
        assert "larger than the central store accepts (16 MB)" in answer.json()["detail"]
    assert "transfer-encoding" in chunked.request.headers
    assert "transfer-encoding" not in declared.request.headers
    print(
        f"server peak resident set {before / 2**20:.0f} MB before two 100 MB bodies, "
        f"{after / 2**20:.0f} MB after"
    )
    assert after - before < GROWTH_LIMIT
    process.terminate()
    process.wait(timeout=30)
    lines = log.read_text().splitlines()
    assert sum("answered 413" in line for line in lines) == 2
