"""``xueliang serve``: the web app for planners, investigators and reviewers."""

from __future__ import annotations

from pathlib import Path

import click

from xueliang.cli._common import FILE, FOLDER, db_option
from xueliang.cli._lang import _
from xueliang.web.settings import DEFAULT_MAX_BODY


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@db_option
@click.option("--media", "media_dir", type=FOLDER, help="Media folder (thumbnails, frames).")
@click.option("--coverage", "coverage_dir", type=FOLDER, help="Output folder of `xueliang coverage`.")
@click.option("--plan", "plan_dir", type=FOLDER, help="Output folder of `xueliang plan`.")
@click.option(
    "--max-body",
    default=DEFAULT_MAX_BODY,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body in bytes; larger ones get 413 unread.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address of a reverse proxy whose X-Forwarded-For names the client (repeatable); cookies become Secure.",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark the session cookie Secure (default: when served over HTTPS or through a --trusted-proxy).",
)
@click.option(
    "--osm",
    "osm_path",
    type=FILE,
    help="OSM extract: basemap and what-if (default: the one the --coverage run was made from).",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=FOLDER,
    default="xueliang-scenarios",
    show_default=True,
    help="Folder of the planner's saved scenarios (JSON).",
)
@click.option(
    "--passes-parquet",
    type=FOLDER,
    help="Day-partitioned Parquet mirror of the passes (`xueliang passes export`) for the Tactics page.",
)
def serve(
    host: str,
    port: int,
    db_url: str | None,
    media_dir: str | None,
    coverage_dir: str | None,
    plan_dir: str | None,
    max_body: int,
    trusted_proxies: tuple[str, ...],
    secure_cookies: bool | None,
    osm_path: str | None,
    scenarios_dir: str,
    passes_parquet: str | None,
) -> None:
    """Start the web app (OpenAPI spec at /openapi.json, for logged-in users). Add logins with `xueliang users add`."""
    import uvicorn

    from xueliang.config import resolve_db_url, resolve_media_dir
    from xueliang.web.app import create_app
    from xueliang.web.settings import WebSettings

    settings = WebSettings(
        db_url=resolve_db_url(db_url),
        media_dir=resolve_media_dir(media_dir),
        coverage_dir=Path(coverage_dir) if coverage_dir else None,
        plan_dir=Path(plan_dir) if plan_dir else None,
        max_body_bytes=max_body,
        trusted_proxies=trusted_proxies,
        secure_cookies=secure_cookies,
        osm_path=Path(osm_path) if osm_path else None,
        scenarios_dir=Path(scenarios_dir),
        passes_parquet=Path(passes_parquet) if passes_parquet else None,
    )
    click.echo(
        _(
            "serving on %(url)s (database %(db)s, media %(media)s)",
            url=f"http://{host}:{port}/",
            db=settings.db_url,
            media=settings.media_dir,
        )
    )
    # X-Forwarded-For is read by the app itself, only from --trusted-proxy peers
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
