""" "Same vehicle?" between two sightings without a shared plate: appearance combined with attributes.

    score = similarity(a, b) + TYPE_WEIGHT * agree(type) + COLOUR_WEIGHT * agree(colour)

``similarity`` (:func:`appearance_similarity`) is the cosine of the two embeddings after the learned
re-identification projection (:mod:`vision.reid`, ``vision/models/link_projection.npz``) when they
are of the model it was fitted on, the plain cosine otherwise.

``agree`` is +1 when both attributes are known and equal, -1 when both are known and differ, 0 when
either is unknown (``other``, empty). Two sightings are linked when the score reaches the threshold.

The weights and :data:`DEFAULT_LINK_THRESHOLD` come from ``bench/train_link_projection.py`` on pairs of
the labelled set (``tests/vision/data/vehicle_labels.csv``): same vehicle = another crop of the same
vehicle (another frame, view or photo) redrawn as a second camera would see it (colour cast,
lower resolution, plate covered by dark paint, body-colour paint or cloth); different vehicle =
any crop of another one. The weights and the threshold were chosen on the tuning part, on scores
cross-validated by vehicle (the projection refitted without the scored vehicles): the highest recall
at precision >= 95 %. They are also stored in the projection file (a test checks both agree);
``docs/vision.md`` gives precision and recall on the held-back part (``bench/vision_accuracy.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from vision.embed import EMBEDDING_MODEL
from vision.reid import ReidProjection, default_projection_path, normalise

TYPE_WEIGHT = 0.1
COLOUR_WEIGHT = 0.0
DEFAULT_LINK_THRESHOLD = 0.867
UNKNOWN: frozenset[str] = frozenset({"", "other", "unknown", "unsure"})


@lru_cache(maxsize=1)
def shipped_projection() -> ReidProjection:
    """The shipped re-identification projection (read once)."""
    return ReidProjection.load(default_projection_path())


def appearance_similarity(
    a: npt.ArrayLike, b: npt.ArrayLike, model: str | None = EMBEDDING_MODEL
) -> npt.NDArray[np.float64]:
    """(len(a), len(b)) appearance similarities of two stacks of embeddings of ``model``: the cosine
    after the re-id projection for the shipped embedding model, the plain cosine for any other."""
    x, y = normalise(a), normalise(b)
    if model == EMBEDDING_MODEL:
        proj = shipped_projection()
        if x.shape[1] == proj.dim and y.shape[1] == proj.dim:
            x, y = proj.project(x), proj.project(y)
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
