"""LP duals as Lagrangian multipliers: a time-capped interior-point LP on the reduced model.

The subgradient method creeps towards the LP bound; where cameras overlap heavily it stalls a few
percent short (158.1 against the LP's 161.8 on 2,000 x 10,000 at 500 m). HiGHS's interior point
method without crossover reaches the LP optimum in about a second there. Its row duals are handed
to the Lagrangian stage as starting multipliers: the Lagrangian bound at any multipliers ``>= 0``
is valid, so a time-capped LP that stops early costs time but never correctness (the Lagrangian
keeps its own start when that bounds better).

Past ``MAX_NONZEROS`` the LP is not tried: at county scale (1.4 M nonzeros for max coverage at
250 m, 4.1 M for set cover at 500 m) HiGHS's interior point had not converged after 88 and 31 CPU
seconds, time the subgradient method uses better.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geo.placement._reduce import RowCover, UnitCover
from geo.placement.milp import Formulation, link_rows, lp_row_duals
from geo.placement.problem import FloatArray

MAX_NONZEROS = 500_000  # of the reduced covering matrix; larger LPs are not tried


def cover_duals(rows: RowCover, cost: FloatArray, *, seconds: float, threads: int = 0) -> FloatArray | None:
    """Duals of ``R x >= 1`` in ``min c.x, 0 <= x <= 1`` (``>= 0``), or None (too large, or not in time)."""
    n_r, n_c = rows.R.shape
    if n_r == 0 or rows.R.nnz > MAX_NONZEROS:
        return None
    f = Formulation(
        col_cost=cost,
        col_lower=np.zeros(n_c),
        col_upper=np.ones(n_c),
        mat=sp.csr_array(rows.R, dtype=np.float64),
        row_lower=np.ones(n_r),
        row_upper=np.full(n_r, np.inf),
    )
    duals = lp_row_duals(f, time_limit=seconds, threads=threads)
    return None if duals is None else np.maximum(duals, 0.0)


def unit_cover_duals(
    red: UnitCover, cost: FloatArray, budget: float, *, seconds: float, threads: int = 0
) -> FloatArray | None:
    """Duals of the link rows ``y_u <= R_r x`` of max coverage (as ``lam_r >= 0``), or None.

    Solved as ``min -w.y`` so that HiGHS's duals of the ``<=`` rows are ``<= 0``; ``lam = -dual``.
    """
    n_r, n_c = red.R.shape
    n_u = red.coef.shape[0]
    if n_r == 0 or red.R.nnz > MAX_NONZEROS:
        return None
    mat = sp.vstack(
        [link_rows(sp.csr_array(red.R, dtype=np.float64), red.row_unit, n_u), np.r_[cost, np.zeros(n_u)][None, :]],
        format="csr",
    )
    f = Formulation(
        col_cost=np.concatenate([np.zeros(n_c), -red.coef[:, 0]]),
        col_lower=np.zeros(n_c + n_u),
        col_upper=np.ones(n_c + n_u),
        mat=mat,
        row_lower=np.full(n_r + 1, -np.inf),
        row_upper=np.r_[np.zeros(n_r), [budget]],
    )
    duals = lp_row_duals(f, time_limit=seconds, threads=threads)
    return None if duals is None else np.maximum(-duals[:n_r], 0.0)
