"""Full-disk drill: when the disk refuses a write, the user gets one clear sentence, the write is
not half-made, and nothing saved before is lost.

The full disk is a file-size limit (RLIMIT_FSIZE) on the keyworker process: every write past
the limit fails as it would on a full filesystem, with no root or special filesystem needed.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple 42"


def keyworker(
    home: Path, *args: str, file_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KEYWORKER_", "XDG_"))},
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "XDG_STATE_HOME": str(home / "xdg-state"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "KEYWORKER_ALLOW_INSECURE_KEYRING": "1",
        "KEYWORKER_PASSPHRASE": PASSPHRASE,
        "PYTHONPATH": str(ROOT),
    }

    def limit() -> None:
        if file_limit is not None:
            # A write past the limit then fails with EFBIG instead of killing the process.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "keyworker_app", "--data-dir", str(home / "caseload"), *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        preexec_fn=limit,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def largest_file(folder: Path) -> int:
    return max(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_refuses_the_write_clearly_and_keeps_everything_saved(
    tmp_path: Path, drill_rounds: Callable[[int, int], int]
) -> None:
    ok(keyworker(tmp_path, "init"))
    ok(keyworker(tmp_path, "demo", "--young-people", "3"))
    reference = ok(keyworker(tmp_path, "caseload")).split("\n")[2].split()[0]
    saved = []
    for n in range(drill_rounds(3, 12)):
        note = f"saved before the disk filled {n}"
        ok(keyworker(tmp_path, "add-contact", "--young-person", reference, "--type", "phone",
                     "--note", note, "--finalise"))  # fmt: skip
        saved.append(note)

    # Room for a little more, then full: notes of 40 KB each fill it within a few writes.
    limit = largest_file(tmp_path / "caseload") + 96 * 1024
    refused = None
    for n in range(60):
        note = f"written as the disk fills {n} " + "x" * 40_000
        result = keyworker(tmp_path, "add-contact", "--young-person", reference, "--type",
                           "phone", "--note", note, file_limit=limit)  # fmt: skip
        if result.returncode != 0:
            refused = result
            break
        saved.append(f"written as the disk fills {n}")
    assert refused is not None, "the size limit never stopped a write"
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    message = "\n".join(line for line in lines if not line.startswith("Warning: KEYWORKER_ALLOW"))
    assert message.count("\n") == 0, message
    assert "not saved" in message and "Everything saved before is safe" in message, message

    # Space again: the store opens, checks clean, and holds every acknowledged write.
    check = keyworker(tmp_path, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    found = ok(keyworker(tmp_path, "search", "disk filled"))  # the search index is whole too
    assert found.count(reference) >= len([n for n in saved if "disk filled" in n]), found
    out = tmp_path / "subject-access.json"
    ok(keyworker(tmp_path, "export", "--young-person", reference, "--out", str(out)))
    exported = out.read_text(encoding="utf-8")
    for note in saved:
        assert note in exported, note
    assert f"written as the disk fills {n} " not in exported  # the refused one: not half-saved
    # And writing works again once there is room.
    ok(keyworker(tmp_path, "add-contact", "--young-person", reference, "--type", "phone",
                 "--note", "after making room", "--finalise"))  # fmt: skip
