"""The learned type head: fitting, the shipped file, the detector-class rules, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision.embed import EMBEDDING_DIM
from vision.linear_head import LinearHead, fit_head
from vision.pipeline import Analysers, PipelineConfig
from vision.type_model import LearnedTypeClassifier, decide_type, load_type_head
from xueliang.errors import InputError


def test_fit_head_separates_separable_classes_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    centres = np.array([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0]])
    y = rng.integers(0, 3, 300)
    x = centres[y] + rng.normal(0, 0.5, (300, 3))
    head = fit_head(x, [("a", "b", "c")[k] for k in y], labels=("a", "b", "c"), name="t", l2=1e-3)
    assert (head.proba(x).argmax(axis=1) == y).mean() > 0.97
    head.save(tmp_path / "h.npz")
    again = LinearHead.load(tmp_path / "h.npz")
    assert again.labels == ("a", "b", "c") and np.allclose(again.proba(x), head.proba(x), atol=1e-4)


def test_shipped_head_loads_and_reads_the_embedding() -> None:
    head = load_type_head()
    assert head.dim == EMBEDDING_DIM and {"sedan", "suv"} <= set(head.labels)
    assert head.name.startswith("type-head")


def test_detector_classes_pass_through_or_make_a_pickup() -> None:
    head = load_type_head()
    sedan_like = head.weights[head.labels.index("sedan")] * head.scale + head.mean  # far on the sedan side
    assert decide_type(head, sedan_like, "car").value == "sedan"
    assert decide_type(head, sedan_like, "truck").value == "pickup"
    assert decide_type(head, sedan_like, "motorcycle").value == "motorcycle"
    assert decide_type(head, sedan_like, "bus").value == "bus"


def test_bad_head_files_fail_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(InputError, match=r"bad\.npz: '--type-model': linear head: expected an \.npz"):
        load_type_head(bad)
    with pytest.raises(InputError, match="no such file"):
        load_type_head(tmp_path / "missing.npz")
    small = fit_head(np.eye(2), ["sedan", "suv"], labels=("sedan", "suv"), name="x")
    small.save(tmp_path / "small.npz")
    with pytest.raises(InputError, match=f"expected {EMBEDDING_DIM} input features, got 2"):
        load_type_head(tmp_path / "small.npz")


def test_type_model_hook_takes_an_npz_head(tmp_path: Path) -> None:
    head = load_type_head()
    head.save(tmp_path / "mine.npz")
    analysers = Analysers.for_config(PipelineConfig(type_model=str(tmp_path / "mine.npz")))
    assert isinstance(analysers.type_classifier, LearnedTypeClassifier)
    assert isinstance(Analysers().type_classifier, LearnedTypeClassifier)
