"""The set-cover reductions (row and column dominance, iterated) against brute force.

Every reduction must keep the optimum value, every cover of the reduced rows must cover the
original required rows, and ``redirect`` must map any original cover to a reduced one costing no
more. The chunked containment test must find exactly the pairs a dense comparison finds.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.placement import CoverageProblem
from geo.placement import _reduce as reduce_mod
from geo.placement._model import build_model
from geo.placement._reduce import _contained_pairs, reduce_rows
from tests.geo.test_placement_heavy import all_subsets, costs, disks


def _dense_pairs(M: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for a in range(M.shape[0]):
        if not M[a].any():
            continue
        for b in range(M.shape[0]):
            if a != b and not (M[a] & ~M[b]).any():
                out.add((a, b))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 25), st.integers(1, 12), st.sampled_from([1, 7, 10**9]))
def test_contained_pairs_match_a_dense_comparison(seed: int, n: int, m: int, chunk: int) -> None:
    rng = np.random.default_rng(seed)
    M = rng.random((n, m)) < rng.uniform(0.1, 0.8)
    old = reduce_mod._CHUNK
    reduce_mod._CHUNK = chunk  # tiny chunks: many blocks, same pairs
    try:
        a, b = _contained_pairs(sp.csr_array(M))
    finally:
        reduce_mod._CHUNK = old
    got = set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(got) == a.size, "a pair was reported twice"
    assert got == _dense_pairs(M)


def _min_cover(A: np.ndarray, cost: np.ndarray, rows: np.ndarray) -> float:
    X = all_subsets(A.shape[1])
    ok = (A[rows].astype(float) @ X.T.astype(float) >= 1).all(axis=0)
    return float((X[ok].astype(float) @ cost).min()) if ok.any() else np.inf


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(5, 12),
    st.booleans(),
    st.floats(0.3, 0.6),
    st.integers(0, 2),
    st.sampled_from([1, 2, 10]),
)
def test_iterated_reduction_keeps_the_optimum_and_maps_covers_both_ways(
    seed: int, n_cand: int, integer: bool, radius: float, n_fixed: int, rounds: int
) -> None:
    A = sp.csr_array(disks(seed, n_cand, 40, radius))
    A = A[np.diff(A.indptr) > 0]
    cost = costs(seed, n_cand, integer)
    fixed = np.zeros(n_cand, dtype=bool)
    fixed[np.random.default_rng(seed + 3).choice(n_cand, n_fixed, replace=False)] = True
    problem = CoverageProblem.from_arrays(sp.csc_array(A), cost, fixed=fixed)
    model = build_model(problem)
    red = reduce_rows(model, problem.required, rounds=rounds)
    dense = A.toarray()
    free = np.flatnonzero(~fixed)
    must = np.flatnonzero(~dense[:, fixed].any(axis=1))
    optimum = _min_cover(dense[:, free], cost[free], must)
    Rd = red.R.toarray().astype(bool)
    reduced_opt = _min_cover(Rd, cost[red.cols], np.arange(Rd.shape[0])) if Rd.shape[0] else 0.0
    assert reduced_opt == pytest.approx(optimum), "the reduction lost every optimum"
    # every cover of the reduced rows covers every original required row
    X = all_subsets(red.cols.size)
    reduced_covers = X[(Rd.astype(float) @ X.T.astype(float) >= 1).all(axis=0)] if Rd.shape[0] else X
    for plan in reduced_covers[:: max(1, len(reduced_covers) // 50)]:
        chosen = fixed.copy()
        chosen[red.cols[plan]] = True
        assert dense[:, chosen].any(axis=1).all(), "a reduced cover misses an original row"
    # redirect maps an original cover to a reduced cover of no higher cost (columns that see no
    # reduced row keep themselves and fall away)
    Xf = all_subsets(free.size)
    ok = (dense[np.ix_(must, free)].astype(float) @ Xf.T.astype(float) >= 1).all(axis=0)
    for plan in Xf[ok][:: max(1, int(ok.sum()) // 50)]:
        mapped = np.zeros(n_cand, dtype=bool)
        mapped[red.redirect[free[plan]]] = True
        assert cost[mapped].sum() <= cost[free[plan]].sum() + 1e-9
        sub = mapped[red.cols]
        if Rd.shape[0]:
            assert (Rd.astype(float) @ sub.astype(float) >= 1).all(), "a redirected cover misses a reduced row"
