"""Vehicle detectors behind one small interface: ``detect(frame) -> Detections`` with COCO class ids.

The real detector is Ultralytics YOLO (``.pt``, ``.onnx``, ``.tflite``, ...); the weights path comes
from ``--model``, else ``$XUELIANG_MODEL``, else the standard name ``yolo11n.pt`` (which Ultralytics
downloads by itself on a machine with internet). Tests plug in fakes that honour the same protocol.

Threads: Ultralytics runs CPU inference on ``cpu_count - 1`` threads (one thread on a 2-core
machine, half its speed), for PyTorch weights and LiteRT (``.tflite``) alike. The detector here
takes its thread count from :attr:`DetectorSpec.threads` instead, default every core, and
:func:`vision.index.index_files` divides the cores among ``--workers``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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

    @property
    def name(self) -> str: ...

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
    #: CPU threads for inference; None = every core of the machine
    threads: int | None = None

    def thread_count(self) -> int:
        return self.threads if self.threads is not None else (os.cpu_count() or 1)


def resolve_weights(explicit: str | None = None) -> str:
    """``--model`` first, then ``$XUELIANG_MODEL``, else ``yolo11n.pt``."""
    return explicit or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


@contextmanager
def _litert_threads(n: int) -> Iterator[None]:
    """Ultralytics' LiteRT backend builds its interpreter with the module constant ``NUM_THREADS``
    (``cpu_count - 1``) and offers no option; set it for the backend built inside this block."""
    try:
        from ultralytics.nn.backends import litert
    except ImportError:  # an Ultralytics without that backend: nothing to set
        yield
        return
    old = litert.NUM_THREADS  # type: ignore[attr-defined]
    litert.NUM_THREADS = n  # type: ignore[attr-defined]
    try:
        yield
    finally:
        litert.NUM_THREADS = old  # type: ignore[attr-defined]


class YoloDetector:
    """Ultralytics YOLO; only the vehicle classes (car, motorcycle, bus, truck) are kept."""

    def __init__(self, spec: DetectorSpec) -> None:
        weights = spec.weights
        self.threads = spec.thread_count()
        if self.threads < 1:
            raise ModelError(weights, f"detector threads: expected 1 or more, got {self.threads}", field="threads")
        p = Path(weights)
        looks_like_path = p.parent != Path(".") or p.exists()
        if looks_like_path:
            if not p.is_file():
                raise ModelError(weights, "detector weights: no such file", field="--model")
            try:
                with open(p, "rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise ModelError(weights, f"detector weights: cannot read ({exc.strerror})", field="--model") from exc
            if not head:
                raise ModelError(weights, "detector weights: empty file", field="--model")
        os.environ.setdefault("YOLO_VERBOSE", "False")  # keep stdout for our own summary
        try:
            from ultralytics import YOLO  # type: ignore[attr-defined]

            with _litert_threads(self.threads):  # reading the names may build a backend too
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
        # The inference backend is built on the first prediction: build it now, with our thread count,
        # so that unusable weights fail here rather than on a file's first frame.
        try:
            with _litert_threads(self.threads):
                self._model.predict(np.zeros((64, 64, 3), np.uint8), verbose=False)
        except Exception as exc:
            raise ModelError(
                weights, f"detector weights: cannot run ({type(exc).__name__}: {exc})", field="--model"
            ) from exc
        import torch

        torch.set_num_threads(self.threads)  # Ultralytics' device selection set it to cpu_count - 1
        #: (height, width) of the model's input when it is fixed (exported models compute on all of
        #: it whatever the frame's aspect: see vision.tiling); None for a dynamic input (.pt weights)
        self.input_size: tuple[int, int] | None = None
        predictor: Any = getattr(self._model, "predictor", None)
        backend = getattr(predictor, "model", None)
        if backend is not None and backend.format != "pt" and not getattr(backend, "dynamic", False):
            size = predictor.imgsz
            self.input_size = (int(size[0]), int(size[1]))

    def detect(self, frame: Frame) -> Detections:
        classes = list(self.spec.classes)
        result = self._model.predict(frame, verbose=False, conf=self.spec.confidence, classes=classes)[0]
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
        raise ModelError(spec.plugin, f"detector plugin: expected 'module:callable', cannot import ({exc})") from exc
    detector = factory(spec)
    if not isinstance(detector, Detector):
        raise ModelError(spec.plugin, f"detector plugin: expected a Detector, got {type(detector).__name__}")
    return detector
