"""`keyworker forms list` and `keyworker forms validate`: the practice templates from the command
line. They need no caseload and no passphrase."""

from __future__ import annotations

import argparse
from pathlib import Path

from keyworker_app.cli.common import Commands, Context, print_json, say, warn


def cmd_forms_list(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.forms.library import load_library, user_templates_dir

    library = load_library(enabled=ctx.organisation.templates)
    for problem in library.problems:
        warn(f"Skipped a broken template: {problem}.")
    templates = library.latest_all()
    if args.json:
        body = [
            {
                "id": t.id,
                "version": t.version,
                "title": t.title,
                "scope": t.scope.value,
                "roles": [r.value for r in t.roles],
                "revisable": t.revisable,
                "enabled": library.is_enabled(t.id),
                "file": str(library.templates[(t.id, t.version)].path),
            }
            for t in templates
        ]
        print_json({"templates": body})
        return 0
    for t in templates:
        off = "" if library.is_enabled(t.id) else "  (turned off by your organisation)"
        say(f"{t.id:<34} v{t.version:<3} {t.scope.value:<13} {t.title}{off}")
    count = f"{len(templates)} template{'s' if len(templates) != 1 else ''}"
    if library.enabled is not None:
        on = sum(library.is_enabled(t.id) for t in templates)
        count += f", {on} offered for new forms by your organisation's settings"
    say(f"{count}. Add your own as .toml files in {user_templates_dir()}.")
    return 0


def cmd_forms_validate(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.forms.library import TemplateFileError, load_file, load_library

    paths = [Path(p).expanduser() for p in args.paths]
    problems: list[str] = []
    checked = 0
    for path in paths:
        if path.is_dir():
            library = load_library([path])
            checked += len(library.templates) + len({p.path for p in library.problems})
            problems += [str(p) for p in library.problems]
        elif not path.exists():
            problems.append(f"{path}: there is no such file")
        else:
            checked += 1
            try:
                load_file(path)
            except TemplateFileError as error:
                problems += [str(p) for p in error.problems]
    for problem in problems:
        warn(problem)
    if problems:
        warn(f"{len(problems)} problem(s) found; correct them and validate again.")
        return 1
    say(f"{checked} template file{'s' if checked != 1 else ''} valid.")
    return 0


def add_commands(commands: Commands) -> None:
    forms = commands.add_parser("forms", help="practice templates: list them, check new ones")
    forms_commands = forms.add_subparsers(dest="forms_command", metavar="ACTION", required=True)
    listing = forms_commands.add_parser("list", help="the templates available (newest versions)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_forms_list)
    validate = forms_commands.add_parser(
        "validate", help="check template files; lists every problem"
    )
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(run=cmd_forms_validate)
