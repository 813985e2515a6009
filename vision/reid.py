"""A learned re-identification projection of the appearance embedding (:mod:`vision.embed`).

The ImageNet MobileNetV2 bottleneck is not a re-identification embedding: a colour cast, a lower
resolution or a covered plate moves a vehicle's vector about as far as another vehicle is. This
projection keeps the directions in which *different* vehicles differ and shrinks those in which
views of *one* vehicle vary:

1. PCA of the (L2-normalised) embeddings to ``dim`` components (the vehicle-to-vehicle spread);
2. within-vehicle whitening: ``W = (S_w + ridge * tr(S_w)/dim * I) ** -1/2`` where ``S_w`` is the
   scatter of the views of each vehicle around that vehicle's mean (a within-class covariance
   normalisation, WCCN);
3. cosine similarity of the projected, re-normalised vectors.

It is fitted by ``bench/train_link_projection.py`` on the tuning part of the labelled set only
(``tests/vision/data/vehicle_labels.csv``), each tuning crop with augmented views (flip, colour casts,
down-scaling, blur, a tighter crop, plate covers, and the "second camera" redraw). The file
(``vision/models/link_projection.npz``) also records the link weights and threshold chosen by
cross-validation by vehicle inside the tuning part, which :mod:`xueliang.investigate.link` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from xueliang.errors import InputError

F64 = npt.NDArray[np.float64]


def normalise(x: npt.ArrayLike) -> F64:
    """Rows of ``x`` scaled to unit length (zero rows stay zero)."""
    a = np.atleast_2d(np.asarray(x, dtype=np.float64))
    return np.asarray(a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12), dtype=np.float64)


@dataclass(frozen=True)
class ReidProjection:
    """``normalise((normalise(x) - mean) @ matrix)``; ``link_*`` are the link scorer's chosen settings."""

    name: str
    mean: F64  # (D,)
    matrix: F64  # (D, k)
    link_threshold: float
    type_weight: float
    colour_weight: float

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def project(self, embeddings: npt.ArrayLike) -> F64:
        """(N, k) unit vectors for (N, D) embeddings."""
        x = normalise(embeddings)
        if x.shape[1] != self.dim:
            raise ValueError(f"ReidProjection {self.name}: expected {self.dim} features, got {x.shape[1]}")
        return normalise((x - self.mean) @ self.matrix)

    def with_link(self, threshold: float, type_weight: float, colour_weight: float) -> ReidProjection:
        return ReidProjection(self.name, self.mean, self.matrix, threshold, type_weight, colour_weight)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            name=np.array(self.name),
            mean=self.mean.astype(np.float32),
            matrix=self.matrix.astype(np.float32),
            link=np.array([self.link_threshold, self.type_weight, self.colour_weight]),
        )

    @classmethod
    def load(cls, path: str | Path) -> ReidProjection:
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                link = np.asarray(z["link"], np.float64)
                return cls(
                    name=str(z["name"]),
                    mean=np.asarray(z["mean"], np.float64),
                    matrix=np.asarray(z["matrix"], np.float64),
                    link_threshold=float(link[0]),
                    type_weight=float(link[1]),
                    colour_weight=float(link[2]),
                )
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise InputError(
                str(p), f"re-id projection: expected an .npz with name, mean, matrix, link ({exc})"
            ) from exc


def default_projection_path() -> Path:
    return Path(str(resources.files("vision").joinpath("models/link_projection.npz")))


def fit_projection(
    x: npt.ArrayLike, groups: Sequence[str], *, dim: int = 32, ridge: float = 0.1, name: str = "reid"
) -> ReidProjection:
    """Fit PCA to ``dim`` components, then whiten the within-group scatter (``groups``: one id per row,
    the vehicle). Deterministic for the same rows. Link settings start at 0 (set them with
    :meth:`ReidProjection.with_link`)."""
    xs = normalise(x)
    g = np.asarray(list(groups))
    if len(g) != xs.shape[0]:
        raise ValueError(f"fit_projection: {xs.shape[0]} rows but {len(g)} groups")
    mean = xs.mean(axis=0)
    centred = xs - mean
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    basis = vt[:dim].T
    # a deterministic sign per component (SVD signs are arbitrary)
    basis = basis * np.where(basis[np.abs(basis).argmax(axis=0), np.arange(basis.shape[1])] < 0, -1.0, 1.0)
    z = centred @ basis
    within = np.zeros((basis.shape[1], basis.shape[1]))
    for u in np.unique(g):
        d = z[g == u] - z[g == u].mean(axis=0)
        within += d.T @ d
    within /= z.shape[0]
    within += ridge * np.trace(within) / basis.shape[1] * np.eye(basis.shape[1])
    evals, evecs = np.linalg.eigh(within)
    whiten = evecs @ np.diag(evals**-0.5) @ evecs.T
    return ReidProjection(name, mean, basis @ whiten, 0.0, 0.0, 0.0)
