"""Files npnet writes and reads back: whole models, the article's parameter vectors, atomic writes.

- :func:`save_model` / :func:`load_model`: one ``.npz`` with the arrays and a
  JSON configuration checked against one schema (:data:`FORMAT_VERSION`);
  what ``NeuralNetwork.save`` and ``NeuralNetwork.load`` call.
- :func:`read_model_config`: a model file's configuration, read without
  building the network (``npnet info``).
- :func:`save_params` / :func:`load_params`: the article's flat ``.npy`` vector.
- :func:`atomic_write`: the models, parameters, predictions and plots npnet
  writes go through it; it replaces only regular files (writing through a
  symbolic link to one) and leaves no temporary file, on SIGTERM too.
- :func:`check_writable`: the same checks, and a try of the folder, before
  long work (``npnet train --save``).

Loading never unpickles, and checks a file before it allocates or builds
anything from it; every problem is a ModelFileError naming the file.
"""

from .._files import PathLike, atomic_write, check_writable
from ._model_files import FORMAT, FORMAT_VERSION, load_model, read_model_config, save_model
from ._param_files import load_params, save_params

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PathLike",
    "atomic_write",
    "check_writable",
    "load_model",
    "load_params",
    "read_model_config",
    "save_model",
    "save_params",
]
