"""`python -m keyworker_app.cli`: the command line alone, as `python -m keyworker_app` without the
desktop app."""

import sys

from keyworker_app.cli import main

sys.exit(main())
