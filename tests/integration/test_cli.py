"""The command line as a new user meets it: real processes, real store, one-sentence errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple 42"


class Cli:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.data = home / "caseload"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KEYWORKER_", "XDG_"))},
            "XDG_DATA_HOME": str(home / "xdg-data"),
            "XDG_STATE_HOME": str(home / "xdg-state"),
            "XDG_CONFIG_HOME": str(home / "xdg-config"),
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "KEYWORKER_ALLOW_INSECURE_KEYRING": "1",
            "KEYWORKER_PASSPHRASE": PASSPHRASE,
            "PYTHONPATH": str(ROOT),
        }

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, data: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "keyworker_app"]
        if data:
            command += ["--data-dir", str(self.data)]
        return subprocess.run(
            command + list(args),
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )

    def ok(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        result = self(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        return result


def one_sentence_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [
        line
        for line in result.stderr.splitlines()
        if not line.startswith("Warning: KEYWORKER_ALLOW")
    ]
    assert len(lines) == 1, result.stderr
    return lines[0]


def files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    runner = Cli(tmp_path_factory.mktemp("cli"))
    init = runner.ok("init", "--user", "asha.k")
    assert "recovery code" in init.stdout
    runner.recovery_code = next(  # type: ignore[attr-defined]
        line.strip() for line in init.stdout.splitlines() if line.strip().count("-") == 6
    )
    runner.ok("demo", "--young-people", "12", "--seed", "3", "--years", "1")
    yield runner


def caseload(cli: Cli) -> list[dict[str, object]]:
    return json.loads(cli.ok("caseload", "--json").stdout)["young_people"]


def test_init_warns_about_the_insecure_keyring_and_shows_the_recovery_code_once(cli: Cli) -> None:
    assert len(cli.recovery_code.replace("-", "")) == 26  # type: ignore[attr-defined]
    again = cli("init")
    assert "already holds a caseload" in one_sentence_error(again)


def test_caseload_json_lists_the_young_people(cli: Cli) -> None:
    rows = caseload(cli)
    assert len(rows) == 12
    first = rows[0]
    for key in (
        "reference",
        "given_name",
        "family_name",
        "keyworker",
        "team",
        "status",
        "last_contact",
    ):
        assert key in first
    assert {r["status"] for r in rows} <= {"open", "closed"}
    assert any(r["keyworker_user_name"] == "asha.k" for r in rows)


def test_add_contact_then_search_and_export(cli: Cli, tmp_path: Path) -> None:
    reference = caseload(cli)[0]["reference"]
    added = cli.ok(
        "add-contact",
        "--young-person",
        str(reference),
        "--type",
        "home_visit",
        "--note",
        "We baked flapjacks and talked about the capybara video.",
        "--finalise",
        "--when",
        "2026-01-15T16:30",
    )
    assert "finalised" in added.stdout
    found = json.loads(cli.ok("search", "capybara", "--json").stdout)["results"]
    assert [r["reference"] for r in found] == [reference]
    assert "[capybara]" in found[0]["snippet"] and found[0]["date"].startswith("2026-01-15")
    out = tmp_path / "sar.json"
    cli.ok("export", "--young-person", str(reference), "--out", str(out))
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["young_person"]["reference"] == reference
    assert any("capybara" in c["narrative"] for c in body["contacts"])
    assert body["referrals"] and body["placements"] and body["audit_trail"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    # The export itself is in the audit trail of the next export.
    again = tmp_path / "sar2.json"
    cli.ok("export", "--young-person", str(reference), "--out", str(again))
    actions = [e["action"] for e in json.loads(again.read_text())["audit_trail"]]
    assert "export_subject_access" in actions


def test_check_passes_on_a_healthy_store(cli: Cli) -> None:
    result = cli.ok("check")
    assert "Audit chain" in result.stdout and "FAIL" not in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["add-contact", "--young-person", "NOPE-1", "--type", "phone", "--note", "x"],
            "No young person has the reference",
        ),
        (
            ["add-contact", "--young-person", "NOPE-1", "--type", "fax", "--note", "x"],
            "not a contact type",
        ),
        (
            [
                "add-contact",
                "--young-person",
                "NOPE-1",
                "--type",
                "phone",
                "--note",
                "x",
                "--when",
                "yesterday",
            ],
            "not a date and time",
        ),
        (
            ["export", "--young-person", "NOPE-1", "--out", "/no/such/folder/x.json"],
            "does not exist",
        ),
        (["import-csv", "/no/such/file.csv"], "Could not read"),
    ],
)
def test_bad_input_gets_one_sentence_and_a_non_zero_exit(
    cli: Cli, args: list[str], expected: str
) -> None:
    assert expected in one_sentence_error(cli(*args))


def test_a_wrong_passphrase_changes_no_file_and_shows_no_traceback(cli: Cli) -> None:
    before = files(cli.data)
    result = cli("caseload", "--json", env={"KEYWORKER_PASSPHRASE": "wrong wrong wrong wrong"})
    assert "passphrase is wrong" in one_sentence_error(result)
    assert result.stdout == ""
    assert files(cli.data) == before


def test_no_passphrase_and_no_terminal_is_a_clear_error(cli: Cli) -> None:
    env = {k: v for k, v in cli.env.items() if k != "KEYWORKER_PASSPHRASE"}
    result = subprocess.run(
        [sys.executable, "-m", "keyworker_app", "--data-dir", str(cli.data), "caseload"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert "set KEYWORKER_PASSPHRASE" in one_sentence_error(result)


def test_no_store_yet_says_how_to_make_one(tmp_path: Path) -> None:
    runner = Cli(tmp_path)
    assert "keyworker init" in one_sentence_error(runner("caseload"))


def test_the_data_directory_can_come_from_the_environment(cli: Cli) -> None:
    result = cli("caseload", "--json", env={"KEYWORKER_DATA_DIR": str(cli.data)}, data=False)
    assert result.returncode == 0 and len(json.loads(result.stdout)["young_people"]) == 12


def test_passwd_then_recover(tmp_path: Path) -> None:
    runner = Cli(tmp_path)
    init = runner.ok("init")
    code = next(line.strip() for line in init.stdout.splitlines() if line.strip().count("-") == 6)
    weak = runner("passwd", env={"KEYWORKER_NEW_PASSPHRASE": "short"})
    assert "too short" in one_sentence_error(weak)
    runner.ok("passwd", env={"KEYWORKER_NEW_PASSPHRASE": "a whole new passphrase"})
    assert "wrong" in one_sentence_error(runner("caseload"))
    runner.ok("caseload", env={"KEYWORKER_PASSPHRASE": "a whole new passphrase"})
    # The keyring is lost (a new laptop account): only the recovery code opens it now.
    keyring_file = next((tmp_path / "xdg-data").rglob("keyring_pass.cfg"))
    keyring_file.unlink()
    lost = runner("caseload", env={"KEYWORKER_PASSPHRASE": "a whole new passphrase"})
    assert "keyworker recover" in one_sentence_error(lost)
    bad = runner(
        "recover",
        env={
            "KEYWORKER_RECOVERY_CODE": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AA",
            "KEYWORKER_NEW_PASSPHRASE": "recovered passphrase",
        },
    )
    assert "does not open this caseload" in one_sentence_error(bad)
    runner.ok(
        "recover",
        env={"KEYWORKER_RECOVERY_CODE": code, "KEYWORKER_NEW_PASSPHRASE": "recovered passphrase"},
    )
    runner.ok("check", env={"KEYWORKER_PASSPHRASE": "recovered passphrase"})


def test_the_insecure_keyring_is_refused_without_the_override(tmp_path: Path) -> None:
    runner = Cli(tmp_path)
    env = {k: v for k, v in runner.env.items() if k != "KEYWORKER_ALLOW_INSECURE_KEYRING"}
    result = subprocess.run(
        [sys.executable, "-m", "keyworker_app", "--data-dir", str(runner.data), "init"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert "No secure OS keyring" in one_sentence_error(result)
    assert not runner.data.exists() or not any(runner.data.iterdir())
