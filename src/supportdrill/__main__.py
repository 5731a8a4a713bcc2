"""``python -m supportdrill``: the command line (the scheduler starts drills this way)."""

import sys

from .cli import main

sys.exit(main())
