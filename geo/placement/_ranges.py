"""Sums over some rows (or columns) of a compressed sparse matrix by one gather over their index ranges.

For a few hundred of a big matrix's rows this beats slicing the matrix (``A[rows]``), which builds a
new sparse array each call; the local searches and the subgradient call these in their inner loops.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geo.placement.problem import FloatArray, IntArray


def _positions(ptr: IntArray, sel: IntArray) -> tuple[IntArray, IntArray]:
    """The positions in ``indices`` of the entries of ``sel`` (rows of a CSR, columns of a CSC), in
    order, and how many each has."""
    starts, lengths = ptr[sel], ptr[sel + 1] - ptr[sel]
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if ends.size else 0
    return np.arange(total) + np.repeat(starts - (ends - lengths), lengths), lengths


def scatter(A: sp.csr_array, sel: IntArray, values: FloatArray) -> FloatArray:
    """``A[sel].T @ values`` for a CSR ``A``: each value added to every column its row has."""
    at, lengths = _positions(A.indptr, sel)
    sums = np.bincount(A.indices[at], weights=np.repeat(values, lengths), minlength=A.shape[1])
    return sums.astype(np.float64, copy=False)


def range_sums(A: sp.csc_array | sp.csr_array, sel: IntArray, values: FloatArray) -> FloatArray:
    """Per entry ``k`` of ``sel`` (a column of a CSC ``A``, or a row of a CSR one): the sum of ``values``
    over its indices (0 if it has none): ``A[:, sel].T @ values`` for a 0/1 CSC."""
    at, lengths = _positions(A.indptr, sel)
    sums: FloatArray = np.zeros(sel.size)
    some = lengths > 0
    if at.size:
        sums[some] = np.add.reduceat(values[A.indices[at]], (np.cumsum(lengths) - lengths)[some])
    return sums
