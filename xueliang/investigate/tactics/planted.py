"""Each tactic with the parameters that look for what a generated city planted (tests and benchmarks)."""

from __future__ import annotations

import datetime as dt

from xueliang.investigate.passes_generate import Truths
from xueliang.investigate.tactics import run
from xueliang.investigate.tactics.service import TacticCall


def window(pair: tuple[str, str]) -> run.Window:
    """An ISO 8601 pair (as in :class:`Truths`) as a tactic window."""
    return run.Window(dt.datetime.fromisoformat(pair[0]), dt.datetime.fromisoformat(pair[1]))


def planted_calls(t: Truths) -> dict[str, TacticCall]:
    """Tactic name -> the call (defaults otherwise) whose answer the truths hold."""
    (target, _), *_ = t.companions.items()
    (foot, _), *_ = t.footholds.items()
    scenes = [run.SceneCameras((s.camera_id,), window((s.start, s.end))) for s in t.scenes]
    return {
        "cloned-plates": lambda e: run.cloned_plates(e),
        "companions": lambda e: run.companions(e, plate=target),
        "first-entry": lambda e: run.first_entry(e, entry_cameras=t.entry_cameras, window=window(t.first_entry_window)),
        "footholds": lambda e: run.footholds(e, plate=foot),
        "nocturnal": lambda e: run.nocturnal(e),
        "frequent": lambda e: run.frequent(e, window=window(t.frequent_window)),
        "area-collision": lambda e: run.area_collision(e, scenes=scenes, k=2),
    }
