"""`keyworker-server` as an administrator meets it: one-sentence errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def server(
    tmp_path: Path, *args: str, password: str | None = "admin test password"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KEYWORKER_PASSWORD", None)
    if password is not None:
        env["KEYWORKER_PASSWORD"] = password
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "keyworker_app.server.cli",
            "--data-dir",
            str(tmp_path / "central"),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_accounts_and_cases_are_managed_with_clear_errors(tmp_path: Path) -> None:
    assert server(tmp_path, "add-team", "North").returncode == 0
    assert "already a team" in one_sentence(server(tmp_path, "add-team", "north"))
    assert "no team called South" in one_sentence(
        server(tmp_path, "add-user", "sam", "--role", "keyworker", "--team", "South")
    )
    assert "too short" in one_sentence(
        server(
            tmp_path, "add-user", "sam", "--role", "keyworker", "--team", "North", password="short"
        )
    )
    assert "set KEYWORKER_PASSWORD" in one_sentence(
        server(tmp_path, "add-user", "sam", "--role", "keyworker", "--team", "North", password=None)
    )
    assert (
        server(tmp_path, "add-user", "sam", "--role", "keyworker", "--team", "North").returncode
        == 0
    )
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "reference,given_name,family_name,date_of_birth,team,keyworker\nN1,Ana,Lee,2009-01-01,North,sam\nN2,Bo,Kay,2009-01-01,North,nobody\n"
    )
    refused = server(tmp_path, "import-csv", str(cases))
    assert refused.returncode == 1 and "line 3, column keyworker" in refused.stderr
    assert server(tmp_path, "import-csv", str(cases), "--skip-invalid").returncode == 0
    assert "No young person has the reference N9" in one_sentence(
        server(tmp_path, "restrict", "N9", "--allow", "sam")
    )
    assert server(tmp_path, "restrict", "N1", "--allow", "sam").returncode == 0
    assert "No device" in one_sentence(server(tmp_path, "revoke-device", "nope"))


def test_user_names_and_restrictions_cannot_be_confused(tmp_path: Path) -> None:
    for team in ("North", "South"):
        assert server(tmp_path, "add-team", team).returncode == 0
    added = server(tmp_path, "add-user", "Sam.Lee", "--role", "keyworker", "--team", "North")
    assert added.returncode == 0 and "Added sam.lee (keyworker, team North)." in added.stdout
    assert "already a user called sam.lee" in one_sentence(
        server(tmp_path, "add-user", "SAM.LEE", "--role", "keyworker", "--team", "North")
    )
    assert "looks like the existing user sam.lee" in one_sentence(
        server(tmp_path, "add-user", "s\u0430m.lee", "--role", "keyworker", "--team", "North")
    )
    assert (
        server(tmp_path, "add-user", "kit", "--role", "keyworker", "--team", "South").returncode
        == 0
    )
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "reference,given_name,family_name,date_of_birth,team,keyworker\n"
        "N1,Ana,Lee,2009-01-01,North,SAM.LEE\n"
    )
    assert server(tmp_path, "import-csv", str(cases)).returncode == 0
    assert one_sentence(server(tmp_path, "restrict", "N1", "--allow", "Sam.Lee", "kit")) == (
        "kit is in team South, not N1's team North; "
        "add --allow-other-team to let them see this case anyway."
    )
    allowed = server(tmp_path, "restrict", "N1", "--allow", "Sam.Lee", "kit", "--allow-other-team")
    assert allowed.returncode == 0
    assert "N1 (team North) is now seen only by kit (team South), sam.lee (team North)." in (
        allowed.stdout
    )


def test_serving_off_loopback_needs_tls(tmp_path: Path) -> None:
    message = one_sentence(server(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1"))
    assert "--tls-cert" in message and "--behind-tls-proxy" in message
    assert "both --tls-cert and --tls-key" in one_sentence(
        server(tmp_path, "serve", "--tls-cert", "x.pem")
    )


def test_a_bad_database_url_is_one_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keyworker_app.server.cli",
            "--database",
            "postgresql://nobody@127.0.0.1:1/none",
            "devices",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "cannot be opened" in one_sentence(result)
