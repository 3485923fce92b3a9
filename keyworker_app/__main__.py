import sys

from keyworker_app.cli import main

sys.exit(main())
