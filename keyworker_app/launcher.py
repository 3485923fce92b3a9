"""The ``keyworker`` console script: the command line, or the desktop app when no command is
given. Kept apart from ``cli`` so the command line itself never loads Qt."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from keyworker_app import cli


def open_desktop(request: cli.GuiRequest) -> int:
    from keyworker_app.ui.app import run, tell_settings_problem
    from keyworker_app.ui.main_window import StartOptions

    if request.settings_problem:
        return tell_settings_problem(request.settings_problem, request.screenshot)

    options = StartOptions(
        data_dir=request.data_dir,
        passphrase=request.passphrase,
        open_reference=request.open_reference,
        view=request.view,
        demo=request.demo,
        create_demo=(lambda: cli.create_demo_caseload(request.data_dir)) if request.demo else None,
        organisation=request.organisation,
    )
    return run(options, request.screenshot)


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, gui=open_desktop)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
