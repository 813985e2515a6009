"""The YOLO detector runs on the thread count it is given, not Ultralytics' cpu_count - 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.vision.conftest import weights
from vision.detect import DetectorSpec, ModelError, load_detector


@pytest.mark.parametrize("threads", [1, 2])
def test_litert_interpreter_and_torch_get_the_spec_threads(monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    torch = pytest.importorskip("torch")
    interpreter_mod = pytest.importorskip("ai_edge_litert.interpreter")
    from ultralytics.nn.backends import litert

    built: list[Any] = []
    real = interpreter_mod.Interpreter

    class Recording(real):  # type: ignore[misc, valid-type]
        """The real interpreter, noting the thread count it was built with."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(kwargs.get("num_threads"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(interpreter_mod, "Interpreter", Recording)
    before = litert.NUM_THREADS  # type: ignore[attr-defined]
    det = load_detector(DetectorSpec(weights=str(weights()), threads=threads))
    assert built and set(built) == {threads}  # every interpreter built while loading has our count
    n = len(built)
    assert torch.get_num_threads() == threads
    assert before == litert.NUM_THREADS  # type: ignore[attr-defined]  # restored
    assert len(det.detect(np.zeros((352, 640, 3), np.uint8)).xyxy) == 0
    assert set(built) == {threads} and len(built) == n  # none built later, on the first real frame


def test_zero_threads_is_refused() -> None:
    with pytest.raises(ModelError, match="threads: expected 1 or more, got 0"):
        load_detector(DetectorSpec(weights=str(weights()), threads=0))
