"""A small softmax (multinomial logistic regression) head: fitting, prediction, and its ``.npz`` file.

The learned vehicle-type and colour classifiers are such heads over features the pipeline already
computes (the MobileNetV2 embedding; CIELAB statistics of the body pixels). The weights are a few
kilobytes and ship inside the package (``vision/models/*.npz``); ``bench/train_attribute_heads.py``
refits them from the tuning part of the labelled set. Fitting is L-BFGS on the weighted,
L2-penalised cross-entropy (scipy), deterministic for the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from xueliang.errors import InputError

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LinearHead:
    """``softmax((x - mean) / scale @ weights.T + bias)`` over ``labels``; ``name`` identifies the fit."""

    name: str
    labels: tuple[str, ...]
    weights: F64  # (K, D)
    bias: F64  # (K,)
    mean: F64  # (D,)
    scale: F64  # (D,)

    def __post_init__(self) -> None:
        k, d = len(self.labels), self.mean.shape[0]
        if self.weights.shape != (k, d) or self.bias.shape != (k,) or self.scale.shape != (d,):
            raise ValueError(
                f"LinearHead {self.name}: expected weights ({k}, {d}), bias ({k},), scale ({d},); got "
                f"{self.weights.shape}, {self.bias.shape}, {self.scale.shape}"
            )

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def proba(self, features: npt.ArrayLike) -> F64:
        """(N, K) class probabilities of (N, D) (or one (D,)) feature rows."""
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if x.shape[1] != self.dim:
            raise ValueError(f"LinearHead {self.name}: expected {self.dim} features, got {x.shape[1]}")
        z = ((x - self.mean) / self.scale) @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            name=np.array(self.name),
            labels=np.array(self.labels),
            weights=self.weights.astype(np.float32),
            bias=self.bias,
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
        )

    @classmethod
    def load(cls, path: str | Path, *, field: str | None = None) -> LinearHead:
        """Read a head written by :meth:`save`; :class:`InputError` naming the file when it is not one."""
        p = Path(path)
        if not p.is_file():
            raise InputError(str(p), "linear head: no such file", field=field)
        try:
            with np.load(p, allow_pickle=False) as z:
                return cls(
                    name=str(z["name"]),
                    labels=tuple(str(s) for s in z["labels"]),
                    weights=np.asarray(z["weights"], np.float64),
                    bias=np.asarray(z["bias"], np.float64),
                    mean=np.asarray(z["mean"], np.float64),
                    scale=np.asarray(z["scale"], np.float64),
                )
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                str(p),
                f"linear head: expected an .npz with name, labels, weights, bias, mean, scale ({exc})",
                field=field,
            ) from exc


def fit_head(
    x: npt.ArrayLike,
    y: Sequence[str],
    *,
    labels: Sequence[str],
    name: str,
    l2: float = 1e-2,
    sample_weight: npt.ArrayLike | None = None,
    max_iter: int = 400,
) -> LinearHead:
    """Fit a softmax head on rows ``x`` (N, D) with labels ``y`` (each in ``labels``).

    Features are standardised first (mean 0, unit variance; the statistics go into the head), so
    ``l2`` means the same for any feature scale. ``sample_weight`` (N,) weighs the rows (e.g. one
    vehicle = one unit of weight, whatever its number of crops)."""
    from scipy.optimize import minimize

    xs = np.asarray(x, dtype=np.float64)
    n, d = xs.shape
    k = len(labels)
    if len(y) != n:
        raise ValueError(f"fit_head: {n} rows but {len(y)} labels")
    index = {lab: i for i, lab in enumerate(labels)}
    yi = np.array([index[v] for v in y], dtype=np.int64)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = w / w.sum()
    mean = xs.mean(axis=0)
    scale = xs.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (xs - mean) / scale
    onehot = np.eye(k)[yi]

    def loss(p: F64) -> tuple[float, F64]:
        wt, b = p[: k * d].reshape(k, d), p[k * d :]
        s = z @ wt.T + b
        s -= s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        g = w[:, None] * (np.exp(logp) - onehot)
        value = float(-(w * logp[np.arange(n), yi]).sum() + l2 * (wt**2).sum())
        grad = np.concatenate([(g.T @ z + 2 * l2 * wt).ravel(), g.sum(axis=0)])
        return value, grad

    res = minimize(loss, np.zeros(k * d + k), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    params = np.asarray(res.x, dtype=np.float64)
    return LinearHead(
        name=name,
        labels=tuple(labels),
        weights=params[: k * d].reshape(k, d),
        bias=params[k * d :],
        mean=mean,
        scale=scale,
    )
