"""The placement instance: a sparse coverage matrix and the per-candidate / per-target arrays.

Rows are demand targets (points, road segments, approach legs), columns are candidate views
(site x camera model x heading). Nothing here knows about geometry; the caller builds the matrix
(for example with ``scipy.spatial.cKDTree.query_ball_point``) and keeps the mapping to ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geo.placement._errors import PlacementInputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def _checked(value: ArrayLike, n: int, name: str, what: str) -> NDArray[Any]:
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise PlacementInputError(
            f"expected a 1-d array with one entry per {what} ({n}), got shape {arr.shape}", field=name
        )
    return arr


def _floats(value: ArrayLike | None, n: int, name: str, what: str, default: float) -> FloatArray:
    if value is None:
        return np.full(n, default, dtype=np.float64)
    arr = _checked(value, n, name, what)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise PlacementInputError(f"expected real numbers, got dtype {arr.dtype}", field=name)
    return np.array(arr, dtype=np.float64)


def _bools(value: ArrayLike | None, n: int, name: str, what: str, default: bool) -> BoolArray:
    if value is None:
        return np.full(n, default, dtype=np.bool_)
    arr = _checked(value, n, name, what)
    if arr.dtype != np.bool_:
        raise PlacementInputError(f"expected a boolean mask, got dtype {arr.dtype}", field=name)
    return np.array(arr, dtype=np.bool_)


def _ints(value: ArrayLike, n: int, name: str, what: str) -> IntArray:
    arr = _checked(value, n, name, what)
    if not np.issubdtype(arr.dtype, np.integer):
        raise PlacementInputError(f"expected integer ids, got dtype {arr.dtype}", field=name)
    return np.array(arr, dtype=np.int64)


def _first_bad(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _ids(value: ArrayLike, n: int, name: str, what: str, ids: str, item: str) -> IntArray:
    """Integer ``ids`` ids per ``item``: >= 0, or -1 for none."""
    arr = _ints(value, n, name, what)
    if (arr < -1).any():
        i = _first_bad(arr < -1)
        raise PlacementInputError(f"expected {ids} ids >= 0 (or -1 for none), got {arr[i]} at {item} {i}", field=name)
    return arr


@dataclass(frozen=True, eq=False)
class CoverageProblem:
    """A placement instance on plain arrays; validated on construction.

    Attributes:
        coverage: sparse boolean matrix, shape ``(n_targets, n_candidates)``; entry ``(i, j)`` is
            true when candidate view ``j`` sees target ``i``. Any scipy.sparse matrix or array is
            accepted and stored as CSC with sorted indices and no explicit zeros.
        cost: cost of each candidate, finite and > 0 (ignored for fixed candidates).
        weight: weight of each target, finite and >= 0 (default 1).
        fixed: candidates that are existing cameras: always selected, cost 0, never removed.
        group: optional group id per candidate (site/heading); ``-1`` means no group. At most
            ``group_limit`` candidates of one group are selected, fixed ones included.
        group_limit: the per-group limit ``k`` (default 1).
        required: targets that a set cover must cover (default: every target).
        all_of: optional composite id per target, ``-1`` for a stand-alone target. The targets
            sharing an id form one composite (an intersection and its approach legs) that counts as
            covered only when every member is covered; its weight is the sum of its members'.
            A composite with any required member is required as a whole.
    """

    coverage: sp.csc_array
    cost: FloatArray
    weight: FloatArray
    fixed: BoolArray
    required: BoolArray
    group: IntArray | None = None
    group_limit: int = 1
    all_of: IntArray | None = None

    @classmethod
    def from_arrays(
        cls,
        coverage: sp.spmatrix | sp.sparray,
        cost: ArrayLike | None = None,
        *,
        weight: ArrayLike | None = None,
        fixed: ArrayLike | None = None,
        required: ArrayLike | None = None,
        group: ArrayLike | None = None,
        group_limit: int = 1,
        all_of: ArrayLike | None = None,
    ) -> CoverageProblem:
        """Build and validate an instance; omitted arrays take their defaults.

        Defaults: cost 1 per candidate, weight 1 per target, nothing fixed, every target required,
        no groups, no composites.
        """
        shape = getattr(coverage, "shape", None)
        if not sp.issparse(coverage) or shape is None or len(shape) != 2:
            raise PlacementInputError(
                f"expected a 2-d scipy.sparse matrix (targets x candidates), got {type(coverage).__name__}",
                field="coverage",
            )
        n_targets, n_cand = int(shape[0]), int(shape[1])
        return cls(
            coverage=sp.csc_array(coverage),
            cost=_floats(cost, n_cand, "cost", "candidate column", 1.0),
            weight=_floats(weight, n_targets, "weight", "target row", 1.0),
            fixed=_bools(fixed, n_cand, "fixed", "candidate column", False),
            required=_bools(required, n_targets, "required", "target row", True),
            group=None if group is None else _ints(group, n_cand, "group", "candidate column"),
            group_limit=group_limit,
            all_of=None if all_of is None else _ints(all_of, n_targets, "all_of", "target row"),
        )

    def __post_init__(self) -> None:
        a = self.coverage
        if not sp.issparse(a):
            raise PlacementInputError(
                f"expected a scipy.sparse matrix (targets x candidates), got {type(a).__name__}",
                field="coverage",
            )
        if a.ndim != 2:
            raise PlacementInputError(f"expected a 2-d matrix, got {a.ndim} dimensions", field="coverage")
        n_targets, n_cand = (int(s) for s in a.shape)
        if n_cand == 0:
            raise PlacementInputError("expected at least one candidate column, got 0", field="coverage")
        csc = sp.csc_array(a, dtype=bool)
        csc.eliminate_zeros()
        csc.sort_indices()
        object.__setattr__(self, "coverage", csc)

        cost = _floats(self.cost, n_cand, "cost", "candidate column", 1.0)
        fixed = _bools(self.fixed, n_cand, "fixed", "candidate column", False)
        bad = ~np.isfinite(cost) | ((cost <= 0) & ~fixed)
        if bad.any():
            j = _first_bad(bad)
            raise PlacementInputError(
                f"expected a finite cost > 0 for every candidate, got {float(cost[j])!r} at candidate {j}"
                f" ({int(bad.sum())} bad in all)",
                field="cost",
            )
        cost = np.where(fixed, 0.0, cost)
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "fixed", fixed)

        weight = _floats(self.weight, n_targets, "weight", "target row", 1.0)
        bad = ~np.isfinite(weight) | (weight < 0)
        if bad.any():
            i = _first_bad(bad)
            raise PlacementInputError(
                f"expected a finite weight >= 0 for every target, got {float(weight[i])!r} at target {i}",
                field="weight",
            )
        object.__setattr__(self, "weight", weight)

        required = _bools(self.required, n_targets, "required", "target row", True)

        if self.all_of is not None:
            all_of = _ids(self.all_of, n_targets, "all_of", "target row", "composite", "target")
            members = all_of >= 0
            if members.any():
                # a composite with any required member is required whole
                req_comp = np.zeros(int(all_of.max()) + 1, dtype=bool)
                req_comp[all_of[members & required]] = True
                required = required | (members & req_comp[np.where(members, all_of, 0)])
            object.__setattr__(self, "all_of", all_of)
        object.__setattr__(self, "required", required)

        if self.group is not None:
            group = _ids(self.group, n_cand, "group", "candidate column", "group", "candidate")
            object.__setattr__(self, "group", group)
        if isinstance(self.group_limit, bool) or not isinstance(self.group_limit, int | np.integer):
            raise PlacementInputError(f"expected an integer >= 1, got {self.group_limit!r}", field="group_limit")
        if self.group_limit < 1:
            raise PlacementInputError(f"expected an integer >= 1, got {self.group_limit}", field="group_limit")
        if self.group is not None and self.fixed.any():
            g = self.group[self.fixed & (self.group >= 0)]
            if g.size:
                counts = np.bincount(g)
                over = np.flatnonzero(counts > self.group_limit)
                if over.size:
                    raise PlacementInputError(
                        f"expected at most {self.group_limit} existing camera(s) per group, got "
                        f"{int(counts[over[0]])} in group {int(over[0])} ({over.size} groups over)",
                        field="group",
                    )

    @property
    def n_targets(self) -> int:
        return int(self.coverage.shape[0])

    @property
    def n_candidates(self) -> int:
        return int(self.coverage.shape[1])


@dataclass(frozen=True, eq=False)
class Quota:
    """Cover at least ``fraction`` of the weight of the targets in ``targets`` (a boolean mask).

    Composites count only when complete, as everywhere else.
    """

    targets: BoolArray
    fraction: float

    def __post_init__(self) -> None:
        mask = np.asarray(self.targets)
        if mask.ndim != 1 or mask.dtype != np.bool_:
            raise PlacementInputError(
                f"expected a 1-d boolean mask over targets, got dtype {mask.dtype} shape {mask.shape}",
                field="quota.targets",
            )
        if not (0.0 <= float(self.fraction) <= 1.0):
            raise PlacementInputError(f"expected a fraction in [0, 1], got {self.fraction!r}", field="quota.fraction")
        object.__setattr__(self, "targets", mask.copy())
        object.__setattr__(self, "fraction", float(self.fraction))
