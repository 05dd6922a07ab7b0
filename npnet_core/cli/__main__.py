"""``python -m npnet_core.cli``: the ``npnet`` command, as ``python -m npnet_core``."""

import sys

from ._parser import main

sys.exit(main())
