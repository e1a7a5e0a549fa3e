"""Names for the numpy arrays the sampling analyzers pass around (one value per sample).

For annotations only: the analyzers import this module under ``TYPE_CHECKING``, so numpy
stays an import inside the functions that draw (importing archlang never loads numpy).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

#: Per-sample times (ms), probabilities or successes.
FloatArray: TypeAlias = NDArray[np.float64]
#: Per-sample (or per-unit, per-trial) up / down, miss, late.
BoolArray: TypeAlias = NDArray[np.bool_]
#: Per-sample indices: a replica's distinct placement, a shard's window, a sample.
IndexArray: TypeAlias = NDArray[np.intp]
