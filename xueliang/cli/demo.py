"""``xueliang demo``: the main job on the embedded defaults (SQLite file, the sample town)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from xueliang.cli._common import FOLDER, db_option, open_db
from xueliang.cli._lang import _, current
from xueliang.config import resolve_db_url
from xueliang.errors import InputError
from xueliang.i18n.errors import translate_error

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media"


@click.command()
@db_option
@click.option("--out", default="xueliang-out", show_default=True, type=FOLDER)
@click.option(
    "--model",
    metavar="WEIGHTS",
    help="Detector weights for the footage part (default: $XUELIANG_MODEL, else ../shared/models beside the "
    "checkout, else yolo11n.pt, which Ultralytics downloads).",
)
@click.option("--serve", "serve_after", is_flag=True, help="Then start the web app on the results, one login per role.")
@click.option(
    "--cases",
    default=2000,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Synthetic cases for the ledger part (0 skips it).",
)
@click.pass_context
def demo(ctx: click.Context, db_url: str | None, out: str, model: str | None, serve_after: bool, cases: int) -> None:
    """The main job for all three users on the sample town: coverage and a plan for planners, a checkpoint
    clip indexed and a night of checkpoint passes searched for investigators, a case ledger and the report
    for reviewers.

    Writes into --out: coverage/ (summary.json, gaps.geojson, coverage.gpkg, villages.csv, coverage.png),
    ledger.csv and blindspot_weights.csv, plan/ (plan.geojson, plan.json, curve.csv, plan.png),
    investigate/ (trajectory.geojson), media/ (thumbnails and frames), report/ (report.html, report.pdf).
    """
    from geo.registry import import_camera_file, load_cameras
    from xueliang.cli import coverage as coverage_cmd
    from xueliang.cli import ledger as ledger_cmd
    from xueliang.cli import plan as plan_cmd
    from xueliang.cli import report as report_cmd

    town, cams = SAMPLE / "town.osm", SAMPLE / "cameras.csv"
    if not town.is_file() or not cams.is_file():
        raise InputError(str(SAMPLE), "sample town missing: run from a source checkout (pip install -e .)")
    outdir = Path(out)
    db = open_db(db_url)
    r = import_camera_file(db, cams)
    click.secho("\n" + _("1. Camera registry"), bold=True)
    click.echo(
        _(
            "%(added)s added, %(updated)s updated from %(file)s -> %(db)s",
            added=r.added,
            updated=r.updated,
            file=cams.name,
            db=db.url,
        )
    )
    cov_dir = outdir / "coverage"
    click.secho("\n" + _("2. Coverage of the sample town"), bold=True)
    summary = coverage_cmd.run(str(town), None, db_url, None, None, None, str(cov_dir))
    click.echo(
        _(
            "at %(level)s (%(px)s px/m), metric CRS %(crs)s:",
            level=current().gettext(summary.level),
            px=f"{summary.px_per_m:g}",
            crs=summary.projected_crs,
        )
    )
    coverage_cmd.print_summary(summary, cov_dir)
    weights: str | None = None
    if cases:
        click.secho("\n" + _("3. Case ledger (synthetic cases in the sample town)"), bold=True)
        bounds = _town_bbox(town)
        ledger_csv = outdir / "ledger.csv"
        ctx.invoke(
            ledger_cmd.generate_cmd,
            n=cases,
            seed=1,
            out=str(ledger_csv),
            bbox=bounds,
            start="2021-01-01",
            end="2026-06-30",
            n_cameras=19,
            bad=3,
            encoding="utf-8",
            camera_ids=tuple(c.id for c in load_cameras(db)),  # cases link to the registry's cameras
        )
        ctx.invoke(
            ledger_cmd.import_cmd,
            file=str(ledger_csv),
            pairs=(),
            mapping_file=None,
            report=str(outdir / "ledger_rejected.csv"),
            tz="UTC",
            sheet=None,
            header_row=1,
            quiet=True,
            db_url=db_url,
        )
        ctx.invoke(ledger_cmd.stats_cmd, by=None, from_=None, to=None, as_json=False, claim=0.8, db_url=db_url)
        weights = str(outdir / "blindspot_weights.csv")
        ctx.invoke(
            ledger_cmd.blindspots_cmd,
            coverage_dir=str(cov_dir),
            out=weights,
            tagged=None,
            weight="count",
            type_weights=(),
            decimals=4,
            from_=None,
            to=None,
            db_url=db_url,
        )
    click.secho("\n" + _("4. Plan: the next cameras for a budget of 100,000 (blind-spot cases weigh in)"), bold=True)
    ctx.invoke(
        plan_cmd.plan,
        osm=str(town),
        cameras_file=str(cams),
        budget=100000.0,
        phases=None,
        catalogue=None,
        targets_file=None,
        weights=weights,
        candidates_file=None,
        config=None,
        level=None,
        out=str(outdir / "plan"),
    )
    investigate(ctx, outdir, db_url, model)
    click.secho("\n" + _("6. Report for reviewers (HTML, and PDF where Chromium is installed)"), bold=True)
    from xueliang.report.build import find_chromium

    ctx.invoke(
        report_cmd.report,
        osm=str(town),
        cameras=None,
        coverage_dir=str(cov_dir),
        plan_dir=str(outdir / "plan"),
        db_url=resolve_db_url(db_url),  # the database just filled: the report reads no ledger without one
        out=str(outdir / "report"),
        no_pdf=find_chromium() is None,
    )
    click.secho("\n" + _("done. Database: %(db)s; results: %(out)s", db=db.url, out=outdir.resolve()), bold=True)
    if serve_after:
        _serve(ctx, town, outdir, db_url)


def _town_bbox(town: Path) -> str:
    from geo.osm import read_layer

    b = read_layer(town, "lines").total_bounds
    return ",".join(f"{v:.6f}" for v in b)


#: the planted case of sample_media/make_passes.py: the camera next to each theft scene and the half hour
#: around the masked white SUV's pass (+08:00), and the companion found at all three
SCENES = (("CAM003", "01:00", "01:30"), ("CAM013", "02:00", "02:30"), ("CAM010", "03:10", "03:40"))
NIGHT = "2024-05-01T{}:00+08:00"
COMPANION = "湘A7K2Q9"


def demo_weights(explicit: str | None) -> str:
    """``--model``, else ``$XUELIANG_MODEL``, else the workplace's weights folder ``../shared/models`` beside the
    checkout (where the tests find them too), else ``yolo11n.pt`` (Ultralytics downloads it)."""
    from vision.detect import MODEL_ENV

    if explicit or os.environ.get(MODEL_ENV):
        return explicit or os.environ[MODEL_ENV]
    beside = SAMPLE.parents[1] / "shared" / "models" / "yolo11n_int8.tflite"
    return str(beside) if beside.is_file() else "yolo11n.pt"


def investigate(ctx: click.Context, outdir: Path, db_url: str | None, model: str | None) -> None:
    """Step 5: index the checkpoint clip, import a night of checkpoint passes, and answer the questions an
    investigator asks of a masked-plate case: which white SUVs with no readable plate passed, which vehicles
    were near all three scenes, and where else did that vehicle go."""
    from geo.registry import load_cameras
    from xueliang.cli import index as index_cmd
    from xueliang.cli import passes as passes_cmd
    from xueliang.cli import search as search_cmd
    from xueliang.errors import XueliangError

    click.secho("\n" + _("5. Investigators: a checkpoint clip and a night of checkpoint passes"), bold=True)
    reel, passes = SAMPLE / "checkpoint_reel.mp4", SAMPLE / "passes_night.json"
    weights = demo_weights(model)
    click.echo(
        _(
            "Indexing %(file)s as camera %(camera)s (detector %(model)s):",
            file=reel.name,
            camera="CAM001",
            model=weights,
        )
    )
    try:
        ctx.invoke(
            index_cmd.index,
            paths=(str(reel),),
            camera_id="CAM001",
            start=NIGHT.format("01:05"),
            model=weights,
            media=str(outdir / "media"),
            db_url=db_url,
        )
    except (XueliangError, SystemExit) as exc:  # no weights here: the passes still show the investigator's work
        why = translate_error(exc, current()) if isinstance(exc, XueliangError) else _("a file failed")
        click.echo(_("footage skipped: %(why)s (set XUELIANG_MODEL or --model to a YOLO weights file)", why=why))
    ctx.invoke(passes_cmd.import_cmd, files=(str(passes),), quiet=True, db_url=db_url)
    click.echo(
        "\n"
        + _(
            "Search: white SUVs with a covered plate, 01:00-04:00 (`xueliang search --colour white --type suv "
            "--plate-state covered --from ... --to ...`):"
        )
    )
    ctx.invoke(
        search_cmd.search,
        colour=("white",),
        vtype=("suv",),
        state=("covered",),
        from_=NIGHT.format("01:00"),
        to=NIGHT.format("04:00"),
        db_url=db_url,
    )
    where = {c.id: (c.lon, c.lat) for c in load_cameras(open_db(db_url))}
    scenes = tuple(
        f"{where[cam][0]:.7f},{where[cam][1]:.7f},150,{NIGHT.format(a)},{NIGHT.format(b)}" for cam, a, b in SCENES
    )
    click.echo(
        "\n" + _("Multi-scene: vehicles seen within 150 m of at least 2 of the 3 theft scenes (`--scene ... -k 2`):")
    )
    ctx.invoke(search_cmd.search, scenes=scenes, min_scenes=2, db_url=db_url)
    path = outdir / "investigate" / "trajectory.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    click.echo(
        "\n"
        + _("Trajectory of %(plate)s, the vehicle seen at every scene (map: %(path)s):", plate=COMPANION, path=path)
    )
    ctx.invoke(search_cmd.trajectory, plate=COMPANION, geojson=str(path), db_url=db_url)


def _serve(ctx: click.Context, town: Path, outdir: Path, db_url: str | None) -> None:
    """Start the web app on the demo's results with one fresh login per role, printed once."""
    import secrets

    from xueliang.cli import serve as serve_cmd
    from xueliang.web.users import add_user

    db = open_db(db_url)
    click.secho("\n" + _("Logins for this demo (passwords are new at every run):"), bold=True)
    for role in ("planner", "investigator", "reviewer", "admin"):
        password = secrets.token_urlsafe(9)
        add_user(db, f"demo-{role}", role, password, replace=True)
        click.echo(f"  {current().gettext(role):<13} demo-{role}  {password}")
    extra = {"osm": str(town)} if any(p.name == "osm" for p in serve_cmd.serve.params) else {}
    ctx.invoke(
        serve_cmd.serve,
        db_url=db_url,
        media_dir=str(outdir / "media"),
        coverage_dir=str(outdir / "coverage"),
        plan_dir=str(outdir / "plan"),
        **extra,
    )
