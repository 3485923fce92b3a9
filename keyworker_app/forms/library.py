"""Loading practice templates: every file in ``forms/`` and the user's templates folder.

A broken file is reported (file, place, what is wrong) and skipped; it never stops the other
templates or the app from loading.
"""

from __future__ import annotations

import difflib
import re
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError

from keyworker_app.domain.vocabulary import Role
from keyworker_app.forms.schema import FieldDef, PrintHints, Scope, SectionDef, TemplateDef
from keyworker_app.paths import forms_dir

SUFFIX = ".toml"
# The shipped templates are under 20 KB each.
MAX_TEMPLATE_BYTES = 1_000_000


@dataclass(frozen=True)
class TemplateProblem:
    path: Path
    place: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.place}" if self.place else str(self.path)
        return f"{where}: {self.message}"


class TemplateFileError(Exception):
    def __init__(self, problems: list[TemplateProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedTemplate:
    definition: TemplateDef
    path: Path

    @property
    def key(self) -> tuple[str, int]:
        return self.definition.id, self.definition.version


@dataclass
class TemplateLibrary:
    templates: dict[tuple[str, int], LoadedTemplate] = field(default_factory=dict)
    problems: list[TemplateProblem] = field(default_factory=list)
    # The organisation's choice of templates for new forms (None: all). Forms already saved
    # from a template turned off still open, print and revise.
    enabled: frozenset[str] | None = None

    def is_enabled(self, template_id: str) -> bool:
        return self.enabled is None or template_id in self.enabled

    def get(self, template_id: str, version: int) -> TemplateDef | None:
        loaded = self.templates.get((template_id, version))
        return loaded.definition if loaded else None

    def latest(self, template_id: str) -> TemplateDef | None:
        versions = [t for (i, _), t in self.templates.items() if i == template_id]
        return max(versions, key=lambda t: t.definition.version).definition if versions else None

    def latest_all(self) -> list[TemplateDef]:
        ids = sorted({i for i, _ in self.templates})
        return [t for t in (self.latest(i) for i in ids) if t is not None]

    def available(self, scope: Scope, role: Role | None = None) -> list[TemplateDef]:
        """The newest version of each enabled template for this scope that ``role`` fills in:
        the templates a new form can be started from."""
        return sorted(
            (
                t
                for t in self.latest_all()
                if t.scope == scope and (role is None or role in t.roles) and self.is_enabled(t.id)
            ),
            key=lambda t: t.title.casefold(),
        )


def user_templates_dir() -> Path:
    """Where a team drops its own templates (no code change needed)."""
    return platformdirs.user_data_path("Keyworker", appauthor=False) / "templates"


def default_folders() -> list[Path]:
    return [forms_dir(), user_templates_dir()]


def _place(data: Any, loc: Sequence[int | str]) -> str:
    """A pydantic error location as a reader sees it: sections[2] 'risks' > fields[1] 'who'."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step + 1}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" '{node['id']}'"
            parts[-1] = parts[-1] + label if parts else label
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " > ".join(parts)


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1]) if error.get("loc") else ""
        known = sorted(
            {k for m in (TemplateDef, SectionDef, FieldDef, PrintHints) for k in m.model_fields}
        )
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
        hint = f"; did you mean '{close[0]}'?" if close else "; check its spelling"
        return f"is not a setting this format knows{hint}"
    if kind == "enum":
        expected = ctx.get("expected", "")
        return f"'{error.get('input')}' is not allowed here; use {expected}"
    if kind == "string_too_short":
        return "is empty; write something here"
    if kind == "too_short":
        return "is empty; it needs at least one entry"
    if kind == "less_than_equal":
        return f"is {error.get('input')}, but must be at most {ctx.get('le')}"
    if kind == "greater_than_equal":
        return f"is {error.get('input')}, but must be at least {ctx.get('ge')}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _problems_of(path: Path, data: Any, error: ValidationError) -> list[TemplateProblem]:
    problems = []
    for item in error.errors():
        loc: list[int | str] = [
            step
            for step in item["loc"]
            if step not in ("function-after[_fits_its_type(), FieldDef]",)
        ]
        message = _message(item)  # type: ignore[arg-type]
        # A template-wide check (an id used twice) has no place of its own: point at the
        # second use, which is the one to rename.
        twice = re.fullmatch(
            r"the id '(.*)' is used twice in the template's (sections|fields)", message
        )
        sections = data.get("sections") if isinstance(data, dict) else None
        if not loc and twice and isinstance(sections, list):
            uses: list[list[int | str]] = []
            for s, section in enumerate(sections):
                if not isinstance(section, dict):
                    continue
                if twice[2] == "sections":
                    uses += [["sections", s]] if section.get("id") == twice[1] else []
                    continue
                fields = section.get("fields")
                for f, fld in enumerate(fields if isinstance(fields, list) else []):
                    if isinstance(fld, dict) and fld.get("id") == twice[1]:
                        uses.append(["sections", s, "fields", f])
            loc = uses[1] if len(uses) > 1 else loc
        problems.append(TemplateProblem(path, _place(data, loc), message))
    return problems


def load_file(path: Path) -> TemplateDef:
    """Read and check one template file. Raises TemplateFileError listing every problem."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # A pipe or device given to `keyworker forms validate` would block or never end.
            raise TemplateFileError([TemplateProblem(path, "", "is not a regular file")])
        size = info.st_size
        if size > MAX_TEMPLATE_BYTES:
            # Checked before reading: a huge file (or a link to one) would be read into memory,
            # and tomllib takes minutes over some of them while the app waits to start.
            raise TemplateFileError(
                [
                    TemplateProblem(
                        path,
                        "",
                        f"is {size:,} bytes long; a template file is at most "
                        f"{MAX_TEMPLATE_BYTES:,} bytes, so check it is a template",
                    )
                ]
            )
        # utf-8-sig: Notepad saves UTF-8 with a byte-order mark, which TOML would refuse.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise TemplateFileError(
            [TemplateProblem(path, "", f"cannot be read ({error.strerror})")]
        ) from None
    except UnicodeDecodeError:
        raise TemplateFileError([TemplateProblem(path, "", "is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        raise TemplateFileError(
            [TemplateProblem(path, "", f"is not valid TOML: {error}")]
        ) from None
    except RecursionError:
        # tomllib reads nested arrays and inline tables recursively: a file of thousands of
        # "[" would otherwise escape as a RecursionError and stop every template loading.
        raise TemplateFileError(
            [TemplateProblem(path, "", "nests its arrays or tables too deeply to read")]
        ) from None
    try:
        return TemplateDef.model_validate(data)
    except ValidationError as error:
        raise TemplateFileError(_problems_of(path, data, error)) from None


def template_files(folders: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.suffix == SUFFIX and p.is_file())
    return files


def load_library(
    folders: Iterable[Path] | None = None, *, enabled: Iterable[str] | None = None
) -> TemplateLibrary:
    """Every template in ``folders`` (default: shipped forms/ then the user's folder); new forms
    only from the ``enabled`` template ids (None: all)."""
    library = TemplateLibrary(enabled=None if enabled is None else frozenset(enabled))
    for path in template_files(default_folders() if folders is None else folders):
        try:
            definition = load_file(path)
        except TemplateFileError as error:
            library.problems += error.problems
            continue
        key = (definition.id, definition.version)
        if key in library.templates:
            other = library.templates[key].path
            library.problems.append(
                TemplateProblem(
                    path,
                    "id",
                    f"the template '{definition.id}' version {definition.version} is already "
                    f"defined in {other}; give this file a new id or a higher version",
                )
            )
            continue
        library.templates[key] = LoadedTemplate(definition, path)
    return library
