"""``python -m supportdrill``: the same as the ``supportdrill`` command."""

import sys

from .cli import main

sys.exit(main())
