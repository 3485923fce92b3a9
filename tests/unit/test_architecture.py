"""The layer boundaries in ARCHITECTURE.md hold, and the code is lint-clean."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_only_the_ui_layer_imports_qt() -> None:
    offenders = []
    for path in (ROOT / "keyworker_app").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "keyworker_app").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] in {"PySide6", "shiboken6"} for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_core_runs_without_qt() -> None:
    # Block PySide6 entirely, then use the command line's modules: nothing may need a display.
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import keyworker_app.cli, keyworker_app.store.caseload, keyworker_app.store.integrity\n"
        "import keyworker_app.store.subject_access, keyworker_app.demo\n"
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "keyworker_app", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_function_of_the_command_line_is_over_60_lines() -> None:
    # The command line stays thin: a longer function is work for the layers below, or a group
    # of commands that wants its own module in keyworker_app/cli/.
    package = ROOT / "keyworker_app" / "cli"
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 1, "the command line is a package, one module per group of commands"
    too_long = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > 60:
                    too_long.append(f"{path.relative_to(ROOT)}:{first} {node.name} ({lines})")
    assert too_long == []
