"""The coverage job, one function for every shell: cameras + OSM + config -> output folder and its summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo.config import CoverageConfig
from geo.summary import CoverageSummary
from xueliang.storage import Database
from xueliang.storage.files import sha256_file


def run_coverage_job(
    osm: str,
    cfg: CoverageConfig,
    out: str | Path,
    *,
    cameras_file: str | None = None,
    db: Database | None = None,
    config_file: str | None = None,
    draw_map: bool = True,
    progress: Callable[[str], None] | None = None,
) -> CoverageSummary:
    """Cameras from ``cameras_file``, else the registry in ``db``; writes every output into ``out``.

    ``summary.inputs_sha256`` records each input file's SHA-256 (the registry by its database URL); a camera
    file's records left out or with unusable tags are counted in ``summary.camera_import`` and listed in
    ``import_report.csv``.
    """
    from geo.analysis import run_coverage
    from geo.cameras import CameraRead, read_camera_file
    from geo.io import write_outputs
    from geo.registry import load_cameras
    from geo.town import load_town

    inputs = {osm: sha256_file(osm)} if Path(osm).is_file() else {}
    read: CameraRead | None = None
    if cameras_file is not None:
        read = read_camera_file(cameras_file)
        cams = list(read.cameras)
        inputs[cameras_file] = sha256_file(cameras_file)
    else:
        if db is None:
            raise ValueError("run_coverage_job: give cameras_file or db")
        cams = load_cameras(db)
        inputs["camera registry"] = db.url
    if config_file:
        inputs[config_file] = sha256_file(config_file)
    town = load_town(osm, cfg)
    result = run_coverage(town, cams, cfg, progress=progress)
    if progress is not None:
        progress("writing outputs")
    return write_outputs(result, out, inputs=inputs, draw_map=draw_map, camera_read=read)
