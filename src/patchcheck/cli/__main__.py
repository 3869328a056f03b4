"""``python -m patchcheck.cli``: the ``patchcheck`` command without its console script (tests, scs-check)."""

import sys

from patchcheck.cli import main

sys.exit(main())
