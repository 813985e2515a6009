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
    """Tactic name -> the call (the defaults otherwise) whose answer the truths hold."""
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


def planted_answers(t: Truths) -> dict[str, set[str]]:
    """Tactic name -> what it should find, as :func:`found` names it (plates; footholds' checkpoints)."""
    return {
        "cloned-plates": set(t.cloned_plates),
        "companions": {p for found in t.companions.values() for p in found},
        "first-entry": set(t.first_entries),
        "footholds": {c for cams in t.footholds.values() for c in cams},
        "nocturnal": set(t.nocturnal),
        "frequent": {plate for plate, _ in t.frequent},
        "area-collision": set(t.area_plates),
    }


def found(name: str, result: run.TacticResult) -> set[str]:
    """What a result found: its plates (footholds: its checkpoints)."""
    if name == "footholds":
        return {str(h.camera_id) for h in result.hits}
    return {h.plates[0] for h in result.hits}


def precision_recall(got: set[str], want: set[str]) -> tuple[float, float]:
    hit = len(got & want)
    return (hit / len(got) if got else 0.0), (hit / len(want) if want else 1.0)
