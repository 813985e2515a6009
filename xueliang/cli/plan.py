"""``xueliang plan``: where the next cameras should go for the budget."""

from __future__ import annotations

from pathlib import Path

import click

from xueliang.cli._common import FILE, FOLDER, echo_import_notes, echo_progress
from xueliang.cli._lang import _, current
from xueliang.errors import InputError
from xueliang.i18n.errors import pad


def _phases(value: str | None) -> list[float] | None:
    if not value:
        return None
    try:
        out = [float(v) for v in value.split(",")]
    except ValueError:
        raise InputError("--phases", f"expected comma-separated amounts like 100000,80000, got {value!r}") from None
    return out


@click.command()
@click.option("--osm", required=True, type=FILE, help="OSM extract of the town.")
@click.option("--cameras", "cameras_file", type=FILE, help="Existing cameras (kept fixed).")
@click.option("--budget", type=float, help="Budget: maximise weighted coverage within it.")
@click.option("--phases", help="Budgets per phase, e.g. 200000,150000 (each phase builds on the last).")
@click.option("--catalogue", type=FILE, help="Camera models and costs (CSV/TOML/JSON).")
@click.option(
    "--targets",
    "targets_file",
    type=FILE,
    help="TOML/JSON: required fractions per class, weights, spacing (see geo/planning.py PlanTargets).",
)
@click.option("--weights", type=FILE, help="Demand weights CSV lon,lat,weight (e.g. cases).")
@click.option("--candidates", "candidates_file", type=FILE, help="Extra candidate sites CSV lon,lat[,heading].")
@click.option("--config", type=FILE, help="Coverage config (levels, tags, defaults).")
@click.option("--level", help="Required level for every class (default recognition).")
@click.option("--out", required=True, type=FOLDER)
@click.option("--schedule", "with_schedule", is_flag=True, help="Also write the camera schedule (schedule.csv, .xlsx).")
@click.option(
    "--retention-days", default=30, show_default=True, type=click.IntRange(1, 3650), help="Schedule: days kept."
)
@click.option(
    "--codec", default="h265", show_default=True, type=click.Choice(["h264", "h265", "mjpeg"]), help="Schedule: codec."
)
@click.option("--fps", default=25.0, show_default=True, type=click.FloatRange(0.1, 120), help="Schedule: frame rate.")
@click.option(
    "--complexity",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 5),
    help="Schedule: scene complexity (0.5 quiet lane, 1 street, 2 busy crossing).",
)
def plan(
    osm: str,
    cameras_file: str | None,
    budget: float | None,
    phases: str | None,
    catalogue: str | None,
    targets_file: str | None,
    weights: str | None,
    candidates_file: str | None,
    config: str | None,
    level: str | None,
    out: str,
    with_schedule: bool,
    retention_days: int,
    codec: str,
    fps: float,
    complexity: float,
) -> None:
    """Propose new camera sites: minimum cost to meet the targets (no budget), or the most coverage for
    --budget, or phase by phase for --phases."""
    from geo.cameras import read_camera_file
    from geo.catalogue import load_catalogue
    from geo.config import load_coverage_config
    from geo.planning import build_instance, load_plan_targets, solve_plan, write_plan
    from geo.town import load_town
    from xueliang.storage.files import sha256_file

    budgets = _phases(phases)
    if budget is not None and budgets:
        raise InputError("--budget", "give either --budget or --phases, not both")
    cfg = load_coverage_config(config)
    if level is not None:
        cfg = cfg.model_validate({**cfg.model_dump(), "level": level})
    spec = load_plan_targets(targets_file)
    cat = load_catalogue(catalogue)
    cheapest = min(m.cost for m in cat.models)
    for b in ([budget] if budget is not None else []) + (budgets or []):
        if b < cheapest:
            raise InputError(
                "--budget" if budget is not None else "--phases",
                f"budget {b:g} is below the cheapest camera ({cheapest:g}); nothing could be bought",
            )
    read = read_camera_file(cameras_file) if cameras_file else None
    cams = list(read.cameras) if read is not None else []

    town = load_town(osm, cfg)
    inst = build_instance(
        town, cams, cfg, spec, cat, weights_file=weights, candidates_file=candidates_file, progress=echo_progress
    )
    result = solve_plan(inst, spec, budget=budget, phases=budgets)
    inputs = {
        p: sha256_file(p) for p in (osm, cameras_file, catalogue, targets_file, weights, candidates_file, config) if p
    }
    s = write_plan(result, cat, out, inputs=inputs)
    tr = current()
    click.echo(
        _(
            "plan (%(mode)s): %(n)s new cameras, cost %(cost)s; objective %(objective)s, "
            "bound %(bound)s, gap %(gap)s, status %(status)s",
            mode=tr.gettext(s["mode"]),
            n=s["cameras_added"],
            cost=tr.number(s["total_cost"]),
            objective=f"{s['objective']:.6g}",
            bound=f"{s['bound']:.6g}",
            gap=tr.percent(s["gap"], 2),
            status=s["status"],
        )
    )
    for name, after in s["coverage_after"].items():
        before = s["coverage_before"][name]
        if "ratio" in after:
            rule_name = tr.gettext(s["intersection_rule_name"].replace("_", " "))
            rule = _(" (rule: %(rule)s)", rule=rule_name) if name == "intersections" else ""
            click.echo(
                _(
                    "  %(name)s %(before)s -> %(after)s of %(total)s%(rule)s",
                    name=pad(tr.gettext(name), 20),
                    before=f"{before['covered']:>6}",
                    after=f"{after['covered']:<6}",
                    total=after["total"],
                    rule=rule,
                )
            )
        else:
            click.echo(
                _(
                    "  %(name)s area %(before)s -> %(after)s",
                    name=pad(tr.gettext(name), 20),
                    before=tr.percent(before["area_weighted"]),
                    after=tr.percent(after["area_weighted"]),
                )
            )
    files = "plan.geojson, plan.json, curve.csv"
    if with_schedule:
        from geo.schedule import StreamSettings, phase_totals, plan_cameras, schedule, to_csv, to_xlsx

        stream = StreamSettings(fps=fps, codec=codec, complexity=complexity, retention_days=retention_days)
        rows = schedule(plan_cameras(out), stream)
        (Path(out) / "schedule.csv").write_text(to_csv(rows), encoding="utf-8")
        (Path(out) / "schedule.xlsx").write_bytes(to_xlsx(rows))
        for t in phase_totals(rows):
            click.echo(
                _(
                    "  phase %(phase)s: %(n)s cameras, cost %(cost)s, %(mbps)s Mbit/s, "
                    "%(tb)s TB for %(days)s days (%(codec)s, %(fps)s fps)",
                    phase=t.phase,
                    n=t.cameras,
                    cost=tr.number(t.cost),
                    mbps=f"{t.bitrate_mbps:.1f}",
                    tb=f"{t.storage_tb:.2f}",
                    days=retention_days,
                    codec=codec,
                    fps=f"{fps:g}",
                )
            )
        files += ", schedule.csv, schedule.xlsx"
    if read is not None and read.notes:
        echo_import_notes(read, Path(out) / "import_report.csv")
    click.echo(_("results in %(out)s/: %(files)s", out=Path(out), files=files))
