"""``python -m supportdrill.cli``: the same as the ``supportdrill`` command."""

import sys

from . import main

sys.exit(main())
