"""Settings of the web app: one frozen value handed to ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WebSettings:
    db_url: str
    media_dir: Path
    coverage_dir: Path | None = None
    plan_dir: Path | None = None
    osm_path: Path | None = None
    scenarios_dir: Path = Path("xueliang-scenarios")
    session_max_age_s: int = 8 * 3600
    secure_cookies: bool = False
