"""Writing a coverage run: summary.json, gaps.geojson, coverage.gpkg, villages.csv and a map."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd

from geo.analysis import CoverageResult, gaps, summarise
from geo.summary import CoverageSummary
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


def write_outputs(
    result: CoverageResult, out_dir: str | Path, *, inputs: dict[str, str], draw_map: bool = True
) -> CoverageSummary:
    """Write every output file into ``out_dir``; returns the summary."""
    out = Path(out_dir)
    _prepare_dir(out)
    summary = summarise(result, inputs=inputs)
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
