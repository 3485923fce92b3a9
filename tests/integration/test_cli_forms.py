"""`keyworker forms list` and `keyworker forms validate` from the outside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "keyworker_app", "forms", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_list_shows_shipped_and_dropped_in_templates(tmp_path: Path) -> None:
    folder = tmp_path / "Keyworker" / "templates"
    folder.mkdir(parents=True)
    shipped = (ROOT / "forms" / "deep_dive_review.toml").read_text(encoding="utf-8")
    (folder / "local_review.toml").write_text(
        shipped.replace('id = "deep_dive_review"', 'id = "local_review"'), encoding="utf-8"
    )
    result = run("list", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    templates = {t["id"]: t for t in json.loads(result.stdout)["templates"]}
    assert templates["deep_dive_review"]["scope"] == "young_person"
    assert templates["deep_dive_review"]["version"] == 1
    assert templates["local_review"]["file"].endswith("local_review.toml")
    assert set(templates["deep_dive_review"]) >= {"id", "version", "title", "scope"}


def test_validate_passes_good_files_and_lists_every_error(tmp_path: Path) -> None:
    good = run("validate", str(ROOT / "forms"), home=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "valid" in good.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text(
        'id = "broken"\nversion = 1\npurpose = "x"\nmodel = "x"\nroles = ["keyworker"]\n'
        'scope = "team"\n[[sections]]\nid = "s"\ntitle = "S"\n'
        '[[sections.fields]]\nid = "a"\ntype = "slider"\nlabel = "A"\n'
        '[[sections.fields]]\nid = "b"\ntype = "single_choice"\nlabel = "B"\n',
        encoding="utf-8",
    )
    syntax = tmp_path / "syntax.toml"
    syntax.write_text('id = "x"\ntitle = "unterminated\n', encoding="utf-8")
    result = run("validate", str(broken), str(syntax), home=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr
    assert "broken.toml: title: is missing" in errors
    assert "'slider'" in errors and "sections[1] 's' > fields[1] 'a' > type" in errors
    assert "the choice field 'b' has no options" in errors
    assert "syntax.toml: is not valid TOML" in errors and "line 2" in errors
