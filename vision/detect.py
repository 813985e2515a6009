"""Vehicle detectors behind one small interface: ``detect(frame) -> Detections`` with COCO class ids.

The real detector is Ultralytics YOLO (``.pt``, ``.onnx``, ``.tflite``, ...); the weights path comes
from ``--model``, else ``$XUELIANG_MODEL``, else the standard name ``yolo11n.pt`` (which Ultralytics
downloads by itself on a machine with internet). Tests plug in fakes that honour the same protocol.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vision.decode import Frame
from vision.types import VEHICLE_CLASSES, Detections
from xueliang.errors import InputError

MODEL_ENV = "XUELIANG_MODEL"
DEFAULT_MODEL = "yolo11n.pt"


class ModelError(InputError):
    """Detector weights that are missing, unreadable or not a detector."""


@runtime_checkable
class Detector(Protocol):
    """Anything that finds vehicles in a BGR frame; ``name`` is stored with each video row."""

    name: str

    def detect(self, frame: Frame) -> Detections: ...


@dataclass(frozen=True)
class DetectorSpec:
    """How to build a detector in any process (picklable, unlike the detector itself)."""

    weights: str = DEFAULT_MODEL
    confidence: float = 0.25
    classes: tuple[int, ...] = tuple(VEHICLE_CLASSES)
    #: ``"package.module:factory"``: a callable taking this spec and returning a :class:`Detector`
    #: (a plugin, or a fake in tests); None means Ultralytics YOLO.
    plugin: str | None = None


def resolve_weights(explicit: str | None = None) -> str:
    """``--model`` first, then ``$XUELIANG_MODEL``, else ``yolo11n.pt``."""
    return explicit or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


class YoloDetector:
    """Ultralytics YOLO; only the vehicle classes (car, motorcycle, bus, truck) are kept."""

    def __init__(self, spec: DetectorSpec) -> None:
        weights = spec.weights
        p = Path(weights)
        looks_like_path = p.parent != Path(".") or p.exists()
        if looks_like_path:
            if not p.is_file():
                raise ModelError(weights, "detector weights: no such file", field="--model")
            try:
                with open(p, "rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise ModelError(
                    weights, f"detector weights: cannot read ({exc.strerror})", field="--model"
                ) from exc
            if not head:
                raise ModelError(weights, "detector weights: empty file", field="--model")
        os.environ.setdefault("YOLO_VERBOSE", "False")  # keep stdout for our own summary
        try:
            from ultralytics import YOLO  # type: ignore[attr-defined]

            self._model: Any = YOLO(weights, task="detect")
            self._names: dict[int, str] = dict(self._model.names)
        except Exception as exc:  # ultralytics raises many types for bad weights
            raise ModelError(
                weights,
                f"detector weights: cannot load as a YOLO detector ({type(exc).__name__}: {exc})",
                field="--model",
            ) from exc
        if self._names.get(2) != "car":
            raise ModelError(weights, f"expected COCO class names (2='car'), got {self._names.get(2)!r}")
        self.spec = spec
        self.name = f"ultralytics:{p.name}"

    def detect(self, frame: Frame) -> Detections:
        result = self._model.predict(
            frame, verbose=False, conf=self.spec.confidence, classes=list(self.spec.classes)
        )[0]
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return Detections.empty()
        return Detections(
            xyxy=np.asarray(boxes.xyxy.cpu().numpy(), dtype=np.float32),
            confidence=np.asarray(boxes.conf.cpu().numpy(), dtype=np.float32),
            class_id=np.asarray(boxes.cls.cpu().numpy(), dtype=np.int64),
        )


def load_detector(spec: DetectorSpec) -> Detector:
    """Build the detector a spec names; raises :class:`ModelError` naming the weights on failure."""
    if spec.plugin is None:
        return YoloDetector(spec)
    import importlib

    module_name, _, attr = spec.plugin.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelError(
            spec.plugin, f"detector plugin: expected 'module:callable', cannot import ({exc})"
        ) from exc
    detector = factory(spec)
    if not isinstance(detector, Detector):
        raise ModelError(spec.plugin, f"detector plugin: expected a Detector, got {type(detector).__name__}")
    return detector
