"""Read coverage, plan and ledger results into typed values the report and the dashboard both show."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from geo.summary import CoverageSummary
from xueliang.config import format_validation_error
from xueliang.errors import InputError
from xueliang.storage.files import sha256_file

# The programme's targets: "no blind corner at road intersections, no blind area at key nodes of main
# roads, nothing missed in crowded areas, full coverage of key sites", each at the required level.
TARGETS: dict[str, tuple[float, str]] = {
    "intersections": (1.0, "no blind corner at road intersections (100%)"),
    "main_road_nodes": (1.0, "no blind area at key nodes of main roads (100%)"),
    "crowded_areas": (1.0, "nothing missed in crowded areas (100%)"),
    "key_sites": (1.0, "full coverage of key sites (100%)"),
    "boundary_crossings": (1.0, "every entrance/exit of the area watched (100%)"),
}


@dataclass(frozen=True)
class ComplianceRow:
    name: str
    requirement: str
    level: str
    covered: int
    total: int
    ratio: float | None
    target: float
    passed: bool


@dataclass(frozen=True)
class VillageRow:
    admin_unit: str
    cameras: int
    channels: int
    meets: bool


@dataclass(frozen=True)
class Coverage:
    directory: Path
    summary: CoverageSummary
    rows: tuple[ComplianceRow, ...]
    villages: tuple[VillageRow, ...]
    files_sha256: dict[str, str]

    @property
    def villages_meeting(self) -> int:
        return self.summary.villages.meeting_threshold

    @property
    def villages_total(self) -> int:
        return self.summary.villages.units

    @property
    def min_channels(self) -> int:
        return self.summary.villages.min_channels

    @property
    def all_passed(self) -> bool:
        return all(r.passed for r in self.rows) and self.villages_meeting == self.villages_total


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from exc
    except ValueError as exc:
        raise InputError(str(path), f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(str(path), f"expected a JSON object, got {type(data).__name__}")
    return data


def load_coverage(directory: str | Path) -> Coverage:
    """A ``xueliang coverage`` output folder: summary.json and villages.csv (gpkg read by the maps)."""
    d = Path(directory)
    summary_path = d / "summary.json"
    if not summary_path.is_file():
        raise InputError(str(d), "expected a coverage folder with summary.json (run `xueliang coverage`)")
    raw = _read_json(summary_path)
    if not isinstance(raw.get("classes"), dict):
        raise InputError(str(summary_path), "expected a 'classes' object", field="classes")
    try:
        summary = CoverageSummary.model_validate(raw)
    except ValidationError as exc:
        raise InputError(str(summary_path), format_validation_error(exc)) from None
    rows = []
    for name, c in summary.classes.items():
        target, text = TARGETS.get(name, (1.0, f"{name} (100%)"))
        ratio = c.ratio
        if name == "crowded_areas" and c.area_weighted_ratio is not None:
            text += f"; area-weighted {c.area_weighted_ratio:.1%}"
        rows.append(
            ComplianceRow(
                name=name,
                requirement=text,
                level=c.level,
                covered=c.covered,
                total=c.total,
                ratio=None if ratio is None else float(ratio),
                target=target,
                passed=ratio is not None and float(ratio) >= target - 1e-9,
            )
        )
    villages: list[VillageRow] = []
    vpath = d / "villages.csv"
    if vpath.is_file():
        with vpath.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                villages.append(
                    VillageRow(
                        admin_unit=r["admin_unit"],
                        cameras=int(r["cameras"]),
                        channels=int(r["channels"]),
                        meets=r["meets_threshold"].strip().lower() == "true",
                    )
                )
    files = {p.name: sha256_file(p) for p in sorted(d.iterdir()) if p.is_file()}
    return Coverage(directory=d, summary=summary, rows=tuple(rows), villages=tuple(villages), files_sha256=files)


@dataclass(frozen=True)
class PlanClass:
    name: str
    before: float | None
    after: float | None
    detail_before: str
    detail_after: str


@dataclass(frozen=True)
class PlanData:
    directory: Path
    plan: dict[str, Any]
    classes: tuple[PlanClass, ...]
    curve: tuple[tuple[int, float, float], ...]  # cameras, cumulative cost, covered fraction
    sites: dict[str, Any]
    files_sha256: dict[str, str]


def _class_ratio(c: dict[str, Any]) -> tuple[float | None, str]:
    if "ratio" in c:
        return (None if c["ratio"] is None else float(c["ratio"])), f"{c.get('covered', 0)} of {c.get('total', 0)}"
    aw = c.get("area_weighted")
    return (None if aw is None else float(aw)), f"area-weighted of {c.get('total', 0)} areas"


def load_plan(directory: str | Path) -> PlanData:
    """A ``xueliang plan`` output folder: plan.json, curve.csv and plan.geojson."""
    d = Path(directory)
    if not (d / "plan.json").is_file():
        raise InputError(str(d), "expected a plan folder with plan.json (run `xueliang plan`)")
    plan = _read_json(d / "plan.json")
    before, after = plan.get("coverage_before", {}), plan.get("coverage_after", {})
    classes = []
    for name in sorted(set(before) | set(after)):
        b, bd = _class_ratio(before.get(name, {}))
        a, ad = _class_ratio(after.get(name, {}))
        classes.append(PlanClass(name=name, before=b, after=a, detail_before=bd, detail_after=ad))
    curve: list[tuple[int, float, float]] = []
    if (d / "curve.csv").is_file():
        with (d / "curve.csv").open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                curve.append((int(r["cameras"]), float(r["cumulative_cost"]), float(r["covered_fraction"])))
    sites: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if (d / "plan.geojson").is_file():
        sites = _read_json(d / "plan.geojson")
    files = {p.name: sha256_file(p) for p in sorted(d.iterdir()) if p.is_file()}
    return PlanData(directory=d, plan=plan, classes=tuple(classes), curve=tuple(curve), sites=sites, files_sha256=files)


def ledger_sources(db: Any) -> list[dict[str, str]]:
    """The imported files behind the ledger: name, SHA-256 and when it was last imported (from its history)."""
    from sqlalchemy import func, select

    from xueliang.ledger.tables import LedgerHistoryRow as H

    stmt = (
        select(H.source, H.source_sha256, func.max(H.changed_at))
        .group_by(H.source, H.source_sha256)
        .order_by(func.max(H.changed_at))
    )
    with db.sessions() as s:
        # aware UTC from the UTCDateTime column (max() keeps its type)
        return [{"source": a, "sha256": b, "imported": str(c)} for a, b, c in s.execute(stmt)]


def ledger_fingerprint(db: Any) -> tuple[Any, ...]:
    """What the ledger's figures depend on besides the clock: its append-only history (every import that
    changes a case writes rows there), the cases' camera links and the camera registry. Equal
    fingerprints mean the figures can be reused."""
    import hashlib

    from sqlalchemy import func, select

    from xueliang.ledger.store import registered_camera_ids
    from xueliang.ledger.tables import LedgerCaseCameraRow as C
    from xueliang.ledger.tables import LedgerHistoryRow as H

    with db.sessions() as s:
        history = tuple(s.execute(select(func.count(), func.max(H.changed_at)).select_from(H)).one())
        links = s.scalar(select(func.count()).select_from(C))
    cameras = hashlib.sha256("\n".join(sorted(registered_camera_ids(db))).encode()).hexdigest()
    return (*history, links, cameras)


def load_ledger_stats(db_url: str) -> dict[str, Any] | None:
    """``ledger stats --json`` by year as a dict, or None when the database holds no cases."""
    from xueliang.ledger.metrics import ledger_stats
    from xueliang.ledger.render import render_json
    from xueliang.ledger.store import load_cases, registered_camera_ids
    from xueliang.storage import open_database

    db = open_database(db_url)
    try:
        table = load_cases(db)
        if len(table) == 0:
            return None
        stats = ledger_stats(table, by="year", registered=registered_camera_ids(db))
        data: dict[str, Any] = json.loads(render_json(stats))
        data["sources"] = ledger_sources(db)
        return data
    finally:
        db.dispose()


@dataclass(frozen=True)
class RatioRow:
    """One line of the forest plot: a fitted hazard or odds ratio for useful video, with its 95% interval."""

    label: str
    kind: str  # "hazard" or "odds"
    estimate: float
    low: float
    high: float


def ratio_rows(analysis: dict[str, Any]) -> tuple[RatioRow, ...]:
    """The hazard ratio then the odds ratio, for all cases and each crime type, leaving out unfitted ones."""
    tts, ors = analysis["time_to_solve"], analysis["odds_ratios"]
    by_type = {r["scope"]: r for r in ors["by_type"]}
    rows = []
    for h in (tts["hazard_ratio"], *tts["hazard_ratio_by_type"]):
        o = ors["overall"] if h["scope"] == "all" else by_type.get(h["scope"])
        for kind, r in (("hazard", h), ("odds", o)):
            if r is not None and r["estimate"] is not None:
                rows.append(RatioRow(f"{h['scope']}: {kind} ratio", kind, r["estimate"], r["low"], r["high"]))
    return tuple(rows)
