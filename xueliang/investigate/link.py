""" "Same vehicle?" between two sightings without a shared plate: appearance combined with attributes.

    score = similarity(a, b) + TYPE_WEIGHT * agree(type) + COLOUR_WEIGHT * agree(colour)

``similarity`` (:func:`appearance_similarity`) is the cosine of the two embeddings. A learned
re-identification projection (:mod:`vision.reid`, ``vision/models/link_projection.npz``) can be
applied first; it is NOT the default: fitted on the 21 tuning vehicles it raised the best recall at
95 % precision (tuning, cross-validated 8 -> 21 %; held back 11.5 -> 15.3 %), but on the held-back
part its own threshold (0.867) gave 56 % precision (0.95: 82 %) where the plain cosine at 0.86 gave
100 % (``docs/vision.md``, "Linking"): it pulls unseen vehicles together.

``agree`` is +1 when both attributes are known and equal, -1 when both are known and differ, 0 when
either is unknown (``other``, empty). Two sightings are linked when the score reaches the threshold.

The weights and :data:`DEFAULT_LINK_THRESHOLD` come from ``bench/vision_accuracy.py`` on pairs of
the labelled set (``tests/vision/data/vehicle_labels.csv``): same vehicle = another crop of the same
vehicle (another frame, view or photo) redrawn as a second camera would see it (colour cast,
lower resolution, plate covered by dark paint, body-colour paint or cloth); different vehicle =
any crop of another one. The weights and the threshold were chosen on the tuning part (the highest
recall at precision >= 95 %); ``docs/vision.md`` gives precision and recall on the held-back part.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from vision.reid import ReidProjection, default_projection_path, normalise

TYPE_WEIGHT = 0.05
COLOUR_WEIGHT = 0.0
DEFAULT_LINK_THRESHOLD = 0.86
UNKNOWN: frozenset[str] = frozenset({"", "other", "unknown", "unsure"})


@lru_cache(maxsize=1)
def shipped_projection() -> ReidProjection:
    """The shipped re-identification projection (read once)."""
    return ReidProjection.load(default_projection_path())


def appearance_similarity(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    model: str | None = None,
    *,
    projection: ReidProjection | None = None,
) -> npt.NDArray[np.float64]:
    """(len(a), len(b)) cosine similarities of two stacks of embeddings of ``model`` (default: the
    indexing embedder's); with ``projection`` (e.g. :func:`shipped_projection`), the cosine after it
    when ``model`` is the one it was fitted on."""
    from vision.embed import EMBEDDING_MODEL  # vision.embed pulls in the decoder: not at import time

    x, y = normalise(a), normalise(b)
    fitted_on = model is None or model == EMBEDDING_MODEL
    if projection is not None and fitted_on and x.shape[1] == y.shape[1] == projection.dim:
        x, y = projection.project(x), projection.project(y)
    return np.asarray(x @ y.T, dtype=np.float64)


def agreement(a: Sequence[str | None], b: Sequence[str | None]) -> npt.NDArray[np.float64]:
    """(len(a), len(b)) matrix: +1 equal, -1 different, 0 when either is unknown."""
    ka = np.array([v if v and v not in UNKNOWN else "" for v in a], dtype=object)
    kb = np.array([v if v and v not in UNKNOWN else "" for v in b], dtype=object)
    eq = ka[:, None] == kb[None, :]
    known = (ka != "")[:, None] & (kb != "")[None, :]
    return np.where(known, np.where(eq, 1.0, -1.0), 0.0)


def link_scores(
    similarity: npt.ArrayLike,
    types_a: Sequence[str | None],
    types_b: Sequence[str | None],
    colours_a: Sequence[str | None],
    colours_b: Sequence[str | None],
    *,
    type_weight: float = TYPE_WEIGHT,
    colour_weight: float = COLOUR_WEIGHT,
) -> npt.NDArray[np.float64]:
    """Link scores of every pair, from their (len(a), len(b)) cosine similarities and attributes."""
    sim = np.asarray(similarity, dtype=np.float64)
    return np.asarray(
        sim + type_weight * agreement(types_a, types_b) + colour_weight * agreement(colours_a, colours_b),
        dtype=np.float64,
    )
