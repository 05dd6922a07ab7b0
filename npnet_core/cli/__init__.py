"""The ``npnet`` command.

``npnet train`` trains a network on the embedded digits, MNIST, or a data file
and prints a table of metrics; ``npnet evaluate`` and ``npnet predict`` use a
saved model on data; ``npnet info`` describes a model file; ``npnet plugins``
lists the installed plugins and the components they provide; ``npnet check``
runs the contract suite over installed components; ``npnet new-plugin`` writes
a plugin distribution to start from.

Every error is one line on standard error (``npnet: error: ...``) and a
non-zero exit status: 2 for a wrong command line, 1 for anything else.
"""

from ._parser import main

__all__ = ["main"]
