import sys

from keyworker_app.launcher import main

sys.exit(main())
