"""The documents generated from the settings catalogue: ``docs/keyworker.example.toml`` (the file
IT copies) and the settings table in ``docs/guide-it.md`` (between its marker comments).

    python -m keyworker_app.settings_docs           write them again (``make docs``)
    python -m keyworker_app.settings_docs --check   exit 1, naming each that differs

A unit test runs the check, so a setting changed in ``settings_catalogue`` without ``make docs``
fails the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from keyworker_app.settings_catalogue import CATALOGUE, Catalogue, Setting

EXAMPLE = Path("docs/keyworker.example.toml")
GUIDE = Path("docs/guide-it.md")
TABLE_START = "<!-- settings-table:start"
TABLE_END = "<!-- settings-table:end -->"
COMMAND = "make docs"
WIDTH = 99

EXAMPLE_HEADER = """\
# Keyworker organisation settings: an example to copy and edit.
#
# Where Keyworker looks (the first that exists):
#   - the file named by the environment variable KEYWORKER_SETTINGS (it must then exist);
#   - the machine's file, deployed by IT:
#       Windows  C:\\ProgramData\\Keyworker\\keyworker.toml
#       macOS    /Library/Application Support/Keyworker/keyworker.toml
#       Linux    /etc/xdg/Keyworker/keyworker.toml
# and then the user's own file, which may change only the settings listed under
# [users_may_change] below (where no organisation file is in force, it may set any):
#       Windows  %LOCALAPPDATA%\\Keyworker\\keyworker.toml
#       macOS    ~/Library/Application Support/Keyworker/keyworker.toml
#       Linux    ~/.config/Keyworker/keyworker.toml
#
# Every setting may be left out; Keyworker then uses the default shown. Check a file before
# deploying it:   keyworker settings --check keyworker.toml
# See what a laptop has in force, and where each value came from:   keyworker settings
# A file Keyworker cannot use stops it starting, with one sentence naming the file and the key.
#
# Generated from keyworker_app/settings_catalogue.py by `make docs`; edit that, not this file.
"""


def _has_default(setting: Setting) -> bool:
    """A default worth printing (10, "OFFICIAL-SENSITIVE"), rather than no value at all."""
    return setting.default not in (None, "") and not isinstance(setting.default, frozenset)


def _toml(value: object, indent: int) -> str:
    """``value`` as TOML; a long list wraps with its items under the first."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list | tuple | frozenset):
        items = sorted(value) if isinstance(value, frozenset) else list(value)
        parts = [f"{_toml(item, 0)}," for item in items]
        if parts:
            parts[-1] = parts[-1].rstrip(",")
        lines = textwrap.wrap(
            " ".join(parts), width=WIDTH - indent - 1, break_long_words=False
        ) or [""]
        return "[" + f"\n{' ' * (indent + 1)}".join(lines) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _comment(setting: Setting) -> list[str]:
    """What the setting does, then any details, then what happens without it: each starts a
    line, so IT can read the file top to bottom."""
    notes = [setting.kind.limits] if setting.kind.limits else []
    if _has_default(setting):
        notes.append(f"default {setting.default}")
    first = setting.summary[0].upper() + setting.summary[1:]
    paragraphs = [f"{first} ({'; '.join(notes)})." if notes else f"{first}."]
    if setting.details:
        paragraphs.append(setting.details)
    if not setting.user_may_change:
        paragraphs.append("Only the organisation's file may set it.")
    if setting.left_out:
        paragraphs.append(f"When left out: {setting.left_out}.")
    return [
        line
        for text in paragraphs
        for line in textwrap.wrap(
            text,
            width=WIDTH,
            initial_indent="# ",
            subsequent_indent="# ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    ]


def example_file(catalogue: Catalogue = CATALOGUE) -> str:
    """``docs/keyworker.example.toml``: every setting under its section, what it does as a
    comment, then the example value (commented out where it needs a file IT must supply)."""
    lines = EXAMPLE_HEADER.splitlines()
    section = None
    for setting in catalogue:
        if setting.section != section:
            section = setting.section
            lines += ["", f"[{section}]"]
        lines += _comment(setting)
        value = f"{setting.name} = {_toml(setting.example, len(setting.name) + 3)}"
        if not setting.example_active:
            value = "\n".join(f"# {line}" for line in value.splitlines())
        lines.append(value)
    return "\n".join(lines) + "\n"


def settings_table(catalogue: Catalogue = CATALOGUE) -> str:
    """The IT guide's table of settings, in Markdown."""
    rows = ["| key | what it does | when left out |", "| --- | --- | --- |"]
    for setting in catalogue:
        does = setting.summary
        if setting.kind.limits:
            does += f" ({setting.kind.limits})"
        if not setting.user_may_change:
            does += " (the organisation's file only)"
        if setting.left_out:
            left = setting.left_out
        elif isinstance(setting.default, str):
            left = f"`{setting.default}`"
        else:
            left = str(setting.default)
        does = does.replace("|", "\\|")  # a bar would end the cell
        rows.append(f"| `{setting.key}` | {does} | {left} |")
    return "\n".join(rows) + "\n"


def with_table(guide: str, table: str) -> str:
    """``guide`` with the text between its table markers replaced by ``table``. Raises
    ValueError when the markers are missing or out of order."""
    lines = guide.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith(TABLE_START)]
    ends = [i for i, line in enumerate(lines) if line.strip() == TABLE_END]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(
            f"{GUIDE} needs one '{TABLE_START} ... -->' line and one '{TABLE_END}' line after "
            "it, around the settings table."
        )
    return "".join([*lines[: starts[0] + 1], table, *lines[ends[0] :]])


def generated(root: Path, catalogue: Catalogue = CATALOGUE) -> dict[Path, str]:
    """Each generated document's path under ``root`` and the text it should have."""
    guide = (root / GUIDE).read_text(encoding="utf-8")
    return {
        root / EXAMPLE: example_file(catalogue),
        root / GUIDE: with_table(guide, settings_table(catalogue)),
    }


def stale(root: Path, catalogue: Catalogue = CATALOGUE) -> list[Path]:
    """The generated documents whose committed text differs from the catalogue's."""
    return [
        path
        for path, text in generated(root, catalogue).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m keyworker_app.settings_docs",
        description="Write the settings documents from keyworker_app/settings_catalogue.py.",
    )
    parser.add_argument("--check", action="store_true", help="only say which ones differ")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="the source checkout (default: the one this module is in)",
    )
    args = parser.parse_args(argv)
    if not (args.root / GUIDE).is_file():
        print(
            f"There is no {GUIDE} under {args.root}; run this in a source checkout.",
            file=sys.stderr,
        )
        return 2
    try:
        documents = generated(args.root)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    differing = stale(args.root)
    if args.check:
        for path in differing:
            print(
                f"{path} differs from keyworker_app/settings_catalogue.py; run `{COMMAND}`.",
                file=sys.stderr,
            )
        return 1 if differing else 0
    for path in differing:
        path.write_text(documents[path], encoding="utf-8")
        print(f"Wrote {path}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
