"""The packaged app's entry point: the `keyworker` console script, as PyInstaller needs a file."""

import multiprocessing
import sys

from keyworker_app.launcher import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
