"""The typed figures of a coverage run (``summary.json``), read by the CLI, the report and the web."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

AREA_KEYS = ("area_weighted_ratio", "open_area_m2", "covered_when_fraction_at_least")


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClassSummary(_Figures):
    """One target class; the area keys only for area classes (crowded areas)."""

    total: int
    covered: int
    ratio: float | None
    level: str
    px_per_m: float
    area_weighted_ratio: float | None = None
    open_area_m2: float | None = None
    covered_when_fraction_at_least: float | None = None

    @model_serializer(mode="wrap")
    def _point_class_has_no_area_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if self.open_area_m2 is None:
            for k in AREA_KEYS:
                out.pop(k, None)
        return out


class RuleSummary(_Figures):
    """Intersections covered under one named rule (``centre_seen`` or ``every_approach_seen``)."""

    covered: int
    total: int
    ratio: float | None
    definition: str


class VillagesSummary(_Figures):
    admin_level: int | None
    units: int
    min_channels: int
    meeting_threshold: int
    text: str


class CamerasSummary(_Figures):
    total: int
    in_extract: int
    unknown_direction: int
    unknown_direction_treatment: str
    dome_or_ptz: int
    channels: int


class CameraImportSummary(_Figures):
    """How the camera file was read: records in it, cameras kept (a node mapped with two directions gives
    two), records left out by reason, kept records with unusable tags; ``report`` lists each decision."""

    source: str
    records: int
    cameras: int
    records_left_out: int
    left_out_reasons: dict[str, int]
    records_with_unusable_tags: int
    report: str | None = None


class CoverageSummary(_Figures):
    """``summary.json``: the same keys and values as written since the first release."""

    classes: dict[str, ClassSummary]
    notes: list[str] = []  # why a class has no targets, which layers were empty or repaired
    geometry_repaired: dict[str, int] = {}  # invalid polygons made valid (shapely.make_valid), per layer
    villages: VillagesSummary
    cameras: CamerasSummary
    level: str
    scale: str
    px_per_m: float
    occlusion: bool
    buildings: int
    projected_crs: str
    parameters: dict[str, Any]
    inputs_sha256: dict[str, str]
    camera_import: CameraImportSummary | None = None  # when the cameras came from a file
    outputs: dict[str, str] | None = None
    # both rules for "an intersection is covered" (added after the first release; absent in older runs)
    intersection_rules: dict[str, RuleSummary] | None = None

    def to_json(self) -> str:
        data = self.model_dump(mode="python", exclude_none=False)
        for key in ("outputs", "camera_import", "intersection_rules"):
            if getattr(self, key) is None:
                data.pop(key)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")


def load_summary(path: Path) -> CoverageSummary:
    """A ``summary.json`` read back (``ValidationError`` when it is not one)."""
    return CoverageSummary.model_validate(json.loads(path.read_text(encoding="utf-8")))
