"""The index-range sums of the local searches and the subgradient equal the sparse products they replace."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.placement._ranges import range_sums, scatter


def _matrix(seed: int, n_r: int, n_c: int, density: float) -> sp.csr_array:
    return sp.csr_array(sp.random_array((n_r, n_c), density=density, format="csr", rng=seed) > 0, dtype=np.float64)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30), st.integers(1, 30), st.floats(0.0, 0.6))
def test_scatter_is_the_row_slice_product(seed: int, n_r: int, n_c: int, density: float) -> None:
    A = _matrix(seed, n_r, n_c, density)
    rng = np.random.default_rng(seed)
    rows = rng.choice(n_r, size=rng.integers(0, n_r + 1), replace=False)
    values = rng.random(rows.size)
    expected = np.asarray(A[rows].T @ values) if rows.size else np.zeros(n_c)
    np.testing.assert_allclose(scatter(A, rows, values), expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30), st.integers(1, 30), st.floats(0.0, 0.6))
def test_range_sums_are_the_column_products(seed: int, n_r: int, n_c: int, density: float) -> None:
    A = sp.csc_array(_matrix(seed, n_r, n_c, density))
    rng = np.random.default_rng(seed)
    cols = rng.choice(n_c, size=rng.integers(0, n_c + 1), replace=True)
    values = rng.random(n_r)
    expected = np.asarray(A[:, cols].T @ values) if cols.size else np.zeros(0)
    np.testing.assert_allclose(range_sums(A, cols, values), expected, atol=1e-12)
