"""Vehicle type from a learned head over the appearance embedding the pipeline already computes.

The head (:mod:`vision.linear_head`, ``vision/models/type_head.npz``, a few kB) maps the
MobileNetV2 embedding of the padded best crop (:mod:`vision.embed`) to sedan / suv / van (MPV or
van) / truck / motorcycle. It was fitted on the tuning part of the labelled set
(``tests/vision/data/vehicle_labels.csv``) with flip, colour-cast and down-scale augmentation by
``bench/train_attribute_heads.py``; ``docs/vision.md`` gives its accuracy on the held-back part.

The detector's class is combined with it: COCO ``motorcycle`` and ``bus`` pass through (the head has
seen too few of them); a COCO ``truck`` whose body the head calls a passenger car is a ``pickup``
(open bed: the detector says truck, the cab says car); otherwise the head decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vision.attributes import VEHICLE_TYPES
from vision.decode import Frame
from vision.embed import EMBEDDING_DIM, Embedder
from vision.linear_head import LinearHead
from vision.types import Attribute
from xueliang.errors import InputError

PASS_THROUGH: tuple[str, ...] = ("motorcycle", "bus")


def default_type_head() -> Path:
    return Path(str(resources.files("vision").joinpath("models/type_head.npz")))


def load_type_head(path: str | Path | None = None) -> LinearHead:
    """The head at ``path`` (default: shipped); :class:`InputError` naming the file when unusable."""
    p = Path(path) if path else default_type_head()
    head = LinearHead.load(p, field="--type-model")
    if head.dim != EMBEDDING_DIM:
        raise InputError(
            str(p), f"type head: expected {EMBEDDING_DIM} input features, got {head.dim}", field="--type-model"
        )
    unknown = [lab for lab in head.labels if lab not in VEHICLE_TYPES]
    if unknown:
        raise InputError(str(p), f"type head: labels must be among {', '.join(VEHICLE_TYPES)}; got {unknown}")
    return head


def decide_type(head: LinearHead, embedding: npt.ArrayLike, detector_class: str) -> Attribute:
    """The type from the head's probabilities and the detector's class (module docstring)."""
    if detector_class in PASS_THROUGH:
        return Attribute(detector_class, 0.9)
    p = head.proba(np.asarray(embedding, dtype=np.float64).reshape(1, -1))[0]
    allowed = [i for i, lab in enumerate(head.labels) if lab not in PASS_THROUGH]
    k = max(allowed, key=lambda i: p[i])
    share = float(p[k] / max(p[allowed].sum(), 1e-9))
    label = head.labels[k]
    if detector_class == "truck" and label in ("sedan", "suv"):
        return Attribute.rounded("pickup", 0.5 * share + 0.25)
    return Attribute.rounded(label, share)


@dataclass
class LearnedTypeClassifier:
    """:class:`vision.attributes.TypeClassifier` over the embedding; the pipeline passes the embedding
    it already computed to :meth:`classify_embedding`, :meth:`classify` embeds the crop itself."""

    head: LinearHead
    embedder: Embedder = field(default_factory=Embedder)

    @classmethod
    def load(cls, path: str | Path | None = None) -> LearnedTypeClassifier:
        return cls(head=load_type_head(path))

    @property
    def name(self) -> str:
        return self.head.name

    def classify_embedding(self, embedding: npt.ArrayLike, detector_class: str) -> Attribute:
        return decide_type(self.head, embedding, detector_class)

    def classify(self, crop: Frame, detector_class: str) -> Attribute:
        return decide_type(self.head, self.embedder.embed([crop])[0], detector_class)
