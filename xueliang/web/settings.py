"""Settings of the web app: one frozen value handed to ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BODY = 1_000_000  # bytes: the API's JSON bodies and the login and mark forms are a few kB


@dataclass(frozen=True)
class WebSettings:
    """``secure_cookies`` None: the session cookie is ``Secure`` when the request came over HTTPS or through a
    proxy of ``trusted_proxies`` (whose ``X-Forwarded-For`` then names the client). ``max_body_bytes``: larger
    request bodies get 413 (without being read)."""

    db_url: str
    media_dir: Path
    coverage_dir: Path | None = None
    plan_dir: Path | None = None
    osm_path: Path | None = None
    scenarios_dir: Path = Path("xueliang-scenarios")
    session_max_age_s: int = 8 * 3600
    secure_cookies: bool | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    trusted_proxies: tuple[str, ...] = ()
    passes_parquet: Path | None = None  # the Tactics page reads this export (`passes export`) if set
