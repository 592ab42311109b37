"""``python -m bench [SCENARIO ...]``: run benchmark scenarios (all of them when none is named)."""

import sys

from .harness import main

sys.exit(main())
