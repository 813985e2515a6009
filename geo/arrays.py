"""Names for the numpy arrays of geo's columnar values, and the checks those values share.

A columnar value (``Views``, ``Sites``, ``Candidates``, ``Demand``, ...) is a frozen dataclass of parallel
columns, one entry per row, as in supervision's ``Detections``.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]
IndexArray: TypeAlias = NDArray[np.intp]
BoolArray: TypeAlias = NDArray[np.bool_]
ObjectArray: TypeAlias = NDArray[np.object_]


class Columns:
    """Mixin of a dataclass whose array and list fields are parallel columns: ``len()`` is the number of rows
    (the first field's length), and a column of another length is refused when the value is built. Other
    fields (a spatial index, a scalar) are not columns."""

    def _columns(self) -> list[tuple[str, Any]]:
        named = ((f.name, getattr(self, f.name)) for f in fields(self))  # type: ignore[arg-type]
        return [(name, v) for name, v in named if isinstance(v, np.ndarray | list)]

    def __post_init__(self) -> None:
        cols = self._columns()
        n = len(cols[0][1])
        for name, col in cols[1:]:
            if isinstance(col, list):
                if len(col) != n:
                    raise ValueError(f"{type(self).__name__}.{name}: expected {n} entries, got {len(col)}")
            elif col.shape[:1] != (n,):
                raise ValueError(f"{type(self).__name__}.{name}: expected shape {(n, *col.shape[1:])}, got {col.shape}")

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))  # type: ignore[arg-type]
