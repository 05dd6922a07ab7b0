"""``python -m npnet_core``: the ``npnet`` command."""

import sys

from .cli import main

sys.exit(main())
