"""Writing a coverage run: summary.json, gaps.geojson, coverage.gpkg, villages.csv and a map."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd

from geo.analysis import CoverageResult, gaps, summarise
from geo.cameras import CameraRead, write_import_report
from geo.summary import CameraImportSummary, CoverageSummary
from xueliang.csv_cells import safe_cell
from xueliang.errors import InputError


def _prepare_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(out), f"cannot create output folder: {exc.strerror}") from None


def _for_file(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Object columns holding mixed values become strings; GeoPackage and GeoJSON want plain types."""
    out = gdf.copy()
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or v != v else str(v))
    return out


def camera_import_summary(read: CameraRead, report: Path | None) -> CameraImportSummary:
    """How a camera file was read: records, cameras kept, records left out by reason, records with notes."""
    return CameraImportSummary(
        source=read.source,
        records=read.records,
        cameras=len(read.cameras),
        records_left_out=read.rejected_records,
        left_out_reasons=read.reasons(),
        records_with_unusable_tags=read.noted_records,
        report=None if report is None else str(report),
    )


def write_outputs(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    inputs: dict[str, str],
    draw_map: bool = True,
    camera_read: CameraRead | None = None,
) -> CoverageSummary:
    """Write every output file into ``out_dir``; returns the summary.

    With ``camera_read`` (the camera file as read), summary.json counts its records kept and left out,
    and ``import_report.csv`` lists every decision taken on them.
    """
    out = Path(out_dir)
    _prepare_dir(out)
    summary = summarise(result, inputs=inputs)
    report = out / "import_report.csv"
    report.unlink(missing_ok=True)
    if camera_read is not None:
        if camera_read.notes:
            write_import_report(report, camera_read)
        written = report if camera_read.notes else None
        summary = summary.model_copy(update={"camera_import": camera_import_summary(camera_read, written)})
    files = {
        "summary": out / "summary.json",
        "gaps": out / "gaps.geojson",
        "gpkg": out / "coverage.gpkg",
        "villages": out / "villages.csv",
    }
    g = _for_file(gaps(result).to_crs(4326))
    g.to_file(files["gaps"], driver="GeoJSON")
    gpkg = files["gpkg"]
    if gpkg.exists():
        gpkg.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _for_file(result.views.to_crs(4326)).to_file(gpkg, layer="views", driver="GPKG")
        cams = result.cameras.drop(columns=[c for c in ("lon", "lat") if c in result.cameras.columns])
        _for_file(cams.to_crs(4326)).to_file(gpkg, layer="cameras", driver="GPKG")
        for name, cr in result.classes.items():
            _for_file(cr.targets.to_crs(4326)).to_file(gpkg, layer=name, driver="GPKG")
    result.villages.map(safe_cell).to_csv(files["villages"], index=False)  # village names are outside data
    if draw_map:
        from geo.plot import draw_coverage_map

        files["map"] = out / "coverage.png"
        draw_coverage_map(result, files["map"])
    summary = summary.model_copy(update={"outputs": {k: str(v) for k, v in files.items()}})
    summary.write(files["summary"])
    return summary
